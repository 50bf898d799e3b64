import Foundation

/// The two UTC renderings of the signing time that SigV4 uses:
/// `20130524T000000Z` (`x-amz-date`, string to sign) and `20130524`
/// (credential scope, first step of the signing key).
public struct SigV4Timestamp: Sendable, Equatable {
    public let amzDate: String
    public let dateStamp: String

    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        // "UTC" is always known; the fallback only keeps this free of a force unwrap.
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        dateStamp = pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2)
        amzDate = dateStamp + "T" + pad(parts.hour, 2) + pad(parts.minute, 2) + pad(parts.second, 2) + "Z"
    }
}
