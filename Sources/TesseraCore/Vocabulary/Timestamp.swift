import Foundation

/// RFC 3339 times with nanoseconds, in UTC, as stored in JSON objects.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanos = Int(((date.timeIntervalSince1970 - seconds) * 1e9).rounded())
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return toTheSecond(parts) + String(format: ".%09dZ", min(nanos, 999_999_999))
    }

    /// Local time to the second, `YYYY-MM-DDTHH:MM:SS`, from the C library:
    /// no ICU data to load (Foundation's DateFormatter reads megabytes of it
    /// on first use, a cold mount's slowest step after the key).
    public static func localSeconds(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&time, &parts)
        return toTheSecond(parts)
    }

    /// `YYYY-MM-DDTHH:MM:SS` of broken-down time.
    private static func toTheSecond(_ parts: tm) -> String {
        String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)
        )
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; also accepts a space
    /// instead of `T` and a missing zone (then local time), as users type it.
    public static func parse(_ text: String) -> Date? {
        let scanner = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scanner.count else { return nil }
            var value = 0
            for c in scanner[range] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard scanner.count >= 19,
              let year = number(0..<4), scanner[4] == UInt8(ascii: "-"),
              let month = number(5..<7), scanner[7] == UInt8(ascii: "-"),
              let day = number(8..<10), scanner[10] == UInt8(ascii: "T") || scanner[10] == UInt8(ascii: " "),
              let hour = number(11..<13), scanner[13] == UInt8(ascii: ":"),
              let minute = number(14..<16), scanner[16] == UInt8(ascii: ":"),
              let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < scanner.count, scanner[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < scanner.count, scanner[index] >= 48, scanner[index] <= 57 {
                fraction += Double(scanner[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch: Int
        if index == scanner.count {
            parts.tm_isdst = -1
            epoch = mktime(&parts)
        } else if scanner[index] == UInt8(ascii: "Z"), index + 1 == scanner.count {
            epoch = timegm(&parts)
        } else if scanner[index] == UInt8(ascii: "+") || scanner[index] == UInt8(ascii: "-"),
                  let zoneHours = number((index + 1)..<(index + 3)), index + 6 == scanner.count,
                  scanner[index + 3] == UInt8(ascii: ":"), let zoneMinutes = number((index + 4)..<(index + 6)) {
            let sign = scanner[index] == UInt8(ascii: "+") ? 1 : -1
            epoch = timegm(&parts) - sign * (zoneHours * 3600 + zoneMinutes * 60)
        } else {
            return nil
        }
        return Date(timeIntervalSince1970: Double(epoch) + fraction)
    }
}
