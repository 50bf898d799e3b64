import Foundation
import Logging
import TesseraCore

/// Turns the global options into an open repository.
enum RepositoryOpener {
    static func backend(_ options: GlobalOptions) throws -> any Backend {
        guard let location = options.repositoryLocation, !location.isEmpty else {
            throw TesseraError.invalidArgument("no repository given: use -r/--repo or set TESSERA_REPOSITORY")
        }
        return try BackendLocation.parse(location)
    }

    static func logger(_ options: GlobalOptions) -> Logger {
        var logger = Logger(label: "tessera")
        logger.logLevel = options.verbose ? .info : .warning
        return logger
    }

    static func open(_ options: GlobalOptions, synchronize: Bool = true) async throws -> Repository {
        let backend = try backend(options)
        // Fail fast on a missing repository, before asking for a password.
        guard try await backend.exists(.config) else { throw TesseraError.repositoryNotFound(location: backend.location) }
        let password = try PasswordSource.password(options)
        return try await Repository.open(backend: backend, password: password, cacheRoot: options.cacheRoot, logger: logger(options), synchronize: synchronize)
    }

    /// Runs `body` holding a lock; releases it however `body` ends.
    static func withLock<T>(_ repository: Repository, exclusive: Bool, command: String, _ body: () async throws -> T) async throws -> T {
        let lock = try await RepositoryLock.acquire(repository, exclusive: exclusive, command: command)
        let token = InterruptHandler.shared.register { await lock.release() }
        defer { InterruptHandler.shared.unregister(token) }
        do {
            let result = try await body()
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}
