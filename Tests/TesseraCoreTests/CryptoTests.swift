import Crypto
import Foundation
import Testing
@testable import TesseraCore

@Suite("Crypto")
struct CryptoTests {
    let master = MasterKey.generate()

    @Test func sealOpenRoundTripAndFreshRandomnessPerSeal() throws {
        let plaintext = Data("the same plaintext".utf8)
        let first = master.sealer.seal(plaintext, purpose: .blob)
        let second = master.sealer.seal(plaintext, purpose: .blob)
        #expect(first != second)
        #expect(first.count == plaintext.count + Sealer.overhead)
        #expect(try master.sealer.open(first, purpose: .blob) == plaintext)
        #expect(try master.sealer.open(second, purpose: .blob) == plaintext)
    }

    @Test func anyModifiedByteFailsAuthentication() {
        let sealed = master.sealer.seal(Data(repeating: 7, count: 100), purpose: .index)
        for position in 0..<sealed.count {
            var damaged = sealed
            damaged[position] ^= 0x01
            #expect(throws: SealError.self) { try master.sealer.open(damaged, purpose: .index) }
        }
    }

    @Test func anObjectCannotPassForAnotherKind() {
        let sealed = master.sealer.seal(Data("{}".utf8), purpose: .snapshot)
        #expect(throws: SealError.authenticationFailed) { try master.sealer.open(sealed, purpose: .config) }
        #expect(throws: SealError.authenticationFailed) { try MasterKey.generate().sealer.open(sealed, purpose: .snapshot) }
    }

    @Test func unknownSealVersionIsReportedAsSuch() {
        var sealed = master.sealer.seal(Data([1, 2, 3]), purpose: .blob)
        sealed[0] = 2
        #expect(throws: SealError.unknownVersion(2)) { try master.sealer.open(sealed, purpose: .blob) }
    }

    @Test func blobIDsAreKeyedHashes() {
        let data = Data("known file content".utf8)
        let other = MasterKey.generate()
        #expect(master.blobID(of: data) == master.blobID(of: data))
        #expect(master.blobID(of: data) != other.blobID(of: data))
        #expect(master.blobID(of: data).bytes != Array(SHA256.hash(data: data)))
    }

    @Test func blobCodecCompressesWhenItHelpsAndVerifiesIDs() throws {
        let codec = BlobCodec(master: master, compressionLevel: 3)
        let compressible = Data(repeating: 0x41, count: 1 << 20)
        let sealed = codec.encode(compressible)
        #expect(sealed.count < 10_000)
        #expect(try codec.decode(sealed, id: master.blobID(of: compressible), rawLength: compressible.count) == compressible)

        var generator = SystemRandomNumberGenerator()
        let random = Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let stored = codec.encode(random)
        #expect(stored.count == random.count + 1 + Sealer.overhead)  // stored raw
        #expect(try codec.decode(stored, id: master.blobID(of: random), rawLength: random.count) == random)
        #expect(throws: FormatError.self) { try codec.decode(stored, id: ID.random(), rawLength: random.count) }
    }

    @Test func keyFileOpensOnlyWithItsPassword() throws {
        let kdf = PasswordKDF(memory: 1 << 20, iterations: 1)
        let file = try KeyFile.wrap(master, password: "correct horse", kdf: kdf, host: "h", username: "u")
        let payload = try #require(try file.unwrap(password: "correct horse"))
        #expect(payload.masterKey.blobID(of: Data([1])) == master.blobID(of: Data([1])))
        #expect(try file.unwrap(password: "wrong") == nil)
        #expect(file.info(master: master)?.host == "h")
        #expect(file.info(master: MasterKey.generate()) == nil)
        // The JSON keeps the host name private.
        let json = String(decoding: try JSONCoding.encoder.encode(file), as: UTF8.self)
        #expect(!json.contains("\"h\"") && json.contains("argon2id"))
    }

    @Test func argon2idMatchesItsParametersAndSalt() throws {
        let kdf = PasswordKDF(memory: 1 << 20, iterations: 2)
        var other = kdf
        other.salt = PasswordKDF(memory: 1 << 20, iterations: 2).salt
        let key = try kdf.deriveKey(password: "pw").withUnsafeBytes { Data($0) }
        #expect(try kdf.deriveKey(password: "pw").withUnsafeBytes { Data($0) } == key)
        #expect(try other.deriveKey(password: "pw").withUnsafeBytes { Data($0) } != key)
        var unknown = kdf
        unknown.algorithm = "bcrypt"
        #expect(throws: TesseraError.self) { try unknown.deriveKey(password: "pw") }
    }

    @Test func gearTablesDifferPerSeedAndAreStable() throws {
        let seedA = ID.random().data
        let a1 = try GearTable.derived(from: seedA)
        let a2 = try GearTable.derived(from: seedA)
        let b = try GearTable.derived(from: ID.random().data)
        #expect(a1 == a2 && a1 != b)
        #expect(Set(a1.values).count == 256)
    }
}
