import Foundation
import Testing
@testable import TesseraCore

/// Whether `filter` excludes the path, given as a string or as raw bytes.
private func excluded(_ patterns: [String], _ path: String) throws -> Bool {
    try ExcludeFilter(patterns: patterns).excludes(path: Array(path.utf8))
}

@Suite("Exclude filter")
struct ExcludeFilterTests {
    @Test("A pattern without a slash matches at any depth")
    func unanchoredPattern() throws {
        let filter = try ExcludeFilter(patterns: ["*.o"])
        for path in ["/b.o", "/a/b.o", "/x/y/z/.o", "/a/x.o/child"] {
            #expect(filter.excludes(path: Array(path.utf8)), "\(path)")
        }
        for path in ["/a/b.c", "/a/b.o.txt", "/a/bo", "/", "/a"] {
            #expect(!filter.excludes(path: Array(path.utf8)), "\(path)")
        }
    }

    @Test("A leading slash anchors the pattern at the root")
    func anchoredPattern() throws {
        #expect(try excluded(["/tmp/x"], "/tmp/x"))
        #expect(try excluded(["/tmp/x"], "/tmp/x/y"))
        #expect(try !excluded(["/tmp/x"], "/a/tmp/x"))
        #expect(try !excluded(["/tmp/x"], "/tmp/xy"))
        #expect(try !excluded(["/tmp/x"], "/tmp"))
        // Without the slash it matches below any directory.
        #expect(try excluded(["tmp/x"], "/a/tmp/x"))
        #expect(try !excluded(["tmp/x"], "/a/tmp/y"))
    }

    @Test("** in the middle matches any number of components, including none")
    func doubleStarInMiddle() throws {
        let patterns = ["/a/**/z"]
        for path in ["/a/z", "/a/b/z", "/a/b/c/d/z", "/a/b/z/w"] {
            #expect(try excluded(patterns, path), "\(path)")
        }
        for path in ["/b/a/z", "/a/b/zz", "/a", "/a/b"] {
            #expect(try !excluded(patterns, path), "\(path)")
        }
    }

    @Test("** at the end or the start")
    func doubleStarAtEnds() throws {
        // As in restic, "foo/**" covers foo itself (** may be empty).
        for path in ["/foo", "/foo/bar", "/x/foo/bar/baz"] {
            #expect(try excluded(["foo/**"], path), "\(path)")
        }
        #expect(try !excluded(["foo/**"], "/foobar/x"))
        #expect(try excluded(["/**/bar"], "/a/b/bar"))
        #expect(try excluded(["/**/bar"], "/bar"))
        #expect(try !excluded(["/**/bar"], "/a/barn"))
        #expect(try excluded(["**"], "/anything/at/all"))
    }

    @Test("A match of a directory excludes everything below it")
    func descendants() throws {
        let patterns = ["/home/*/cache"]
        #expect(try excluded(patterns, "/home/a/cache"))
        #expect(try excluded(patterns, "/home/a/cache/x/y"))
        // `*` stays within one component.
        #expect(try !excluded(patterns, "/home/a/b/cache"))
        #expect(try !excluded(patterns, "/home/a/cached"))
    }

    @Test("Wildcards, character classes and escapes")
    func classesAndEscapes() throws {
        #expect(try excluded(["[abc].txt"], "/d/b.txt"))
        #expect(try !excluded(["[abc].txt"], "/d/d.txt"))
        #expect(try excluded(["/[a-c]x"], "/bx"))
        #expect(try !excluded(["/[a-c]x"], "/dx"))
        #expect(try excluded(["/[!a]y"], "/by"))
        #expect(try !excluded(["/[!a]y"], "/ay"))
        #expect(try excluded(["/[^a]y"], "/by"))
        #expect(try excluded(["/[a-cx-z]"], "/y"))
        #expect(try excluded(["/file?.log"], "/file1.log"))
        #expect(try !excluded(["/file?.log"], "/file10.log"))
        #expect(try excluded(["/*a*b*"], "/xxaxxbxx"))
        #expect(try !excluded(["/*a*b*"], "/xxbxxaxx"))
        // Escaped wildcards are literal.
        #expect(try excluded(["/\\*.txt"], "/*.txt"))
        #expect(try !excluded(["/\\*.txt"], "/a.txt"))
        #expect(try excluded(["/\\[x\\]"], "/[x]"))
        #expect(try !excluded(["/\\[x\\]"], "/x"))
        #expect(try excluded(["/[\\]]"], "/]"))
        #expect(try excluded(["/a[\\-]b"], "/a-b"))
        // `?` and classes take a whole UTF-8 character.
        #expect(try excluded(["/caf?"], "/café"))
        #expect(try excluded(["/[é]"], "/é"))
        #expect(try !excluded(["/??"], "/é"))
    }

    @Test("Names that are not UTF-8 are matched byte for byte")
    func nonUTF8Names() throws {
        let name: [UInt8] = Array("/dir/a".utf8) + [0xFF, 0xFE] + Array(".o".utf8)
        #expect(try ExcludeFilter(patterns: ["*.o"]).excludes(path: name))
        #expect(try ExcludeFilter(patterns: ["/dir/a??.o"]).excludes(path: name))
        #expect(try !ExcludeFilter(patterns: ["/dir/a?.o"]).excludes(path: name))
        #expect(try ExcludeFilter(patterns: ["/dir/a[!x][!x].o"]).excludes(path: name))
        #expect(try !ExcludeFilter(patterns: ["/dir/a[a-z]*"]).excludes(path: name))
        // A directory match covers a child whose name is not UTF-8.
        #expect(try ExcludeFilter(patterns: ["/dir"]).excludes(path: Array("/dir/".utf8) + [0xC3, 0x28]))
        // A truncated sequence is single bytes, not one character.
        #expect(try ExcludeFilter(patterns: ["/??"]).excludes(path: [0x2F, 0xE2, 0x82]))
    }

    @Test("A trailing slash, '.' and '..' are cleaned away")
    func cleaning() throws {
        #expect(try excluded(["cache/"], "/a/cache"))
        #expect(try excluded(["./cache"], "/a/cache"))
        #expect(try excluded(["/a/../b"], "/b"))
        #expect(try !excluded(["/a/../b"], "/a/b"))
        #expect(try excluded(["//a//b"], "/a/b/c"))
    }

    @Test("A negated pattern re-includes what earlier ones excluded")
    func negation() throws {
        let patterns = ["/data/*", "!/data/keep"]
        #expect(try excluded(patterns, "/data/x"))
        #expect(try !excluded(patterns, "/data/keep"))
        #expect(try !excluded(patterns, "/data/keep/file"))
        #expect(try !excluded(patterns, "/other"))
        // Order matters: a later plain pattern excludes again.
        #expect(try excluded(patterns + ["*.tmp"], "/data/keep/a.tmp"))
        // An escaped '!' is a literal character.
        #expect(try excluded(["\\!x"], "/a/!x"))
    }

    @Test("Empty filters exclude nothing")
    func emptyFilter() throws {
        #expect(try ExcludeFilter(patterns: []).isEmpty)
        #expect(try ExcludeFilter(patterns: [""]).isEmpty)
        #expect(try !ExcludeFilter(patterns: ["*.o"]).isEmpty)
        #expect(try !excluded([], "/a"))
        #expect(try !excluded([""], "/a"))
    }

    @Test("Invalid patterns are rejected with a message naming them", arguments: [
        "[abc", "/a/x[", "x[]", "x[!]", "foo\\", "a\\/b", "[z-a]", "[-a]", "[a-]", "[a", "!",
    ])
    func invalidPattern(pattern: String) throws {
        let error = try #require(throws: ExcludePatternError.self) { try ExcludeFilter(patterns: ["ok", pattern]) }
        #expect(error.pattern == pattern)
        #expect(error.description.contains("\"\(pattern)\""))
    }

    @Test("Exclude file lines: comments, blanks, whitespace and environment references")
    func patternsFromText() {
        let text = """
        # a comment
        \u{20}\u{20}*.o\u{20}\u{20}

        \t/tmp/x\r
          # an indented comment
        $HOME/cache
        ${HOME}/other
        /a/$UNSET/b
        price$$
        ${}x
        $
        ${HOME
        ${HOME}${HOME}
        """
        let patterns = ExcludeFilter.patterns(fromText: text, environment: ["HOME": "/home/u"])
        #expect(patterns == [
            "*.o", "/tmp/x", "/home/u/cache", "/home/u/other", "/a//b", "price$", "x", "$", "HOME", "/home/u/home/u",
        ])
    }

    @Test("Reading an exclude file from disk")
    func patternsFromFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("exclude-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        // A byte order mark and CRLF line ends, as Windows editors write them.
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("# comment\r\n*.o\r\n\r\n$HOME/x\r\n".utf8)
        try Data(bytes).write(to: url)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(try ExcludeFilter.patterns(fromFile: url.path) == ["*.o", home + "/x"])
        #expect(try ExcludeFilter.patterns(fromFile: url.path, environment: ["HOME": "/h"]) == ["*.o", "/h/x"])
    }

    @Test("Unreadable and non-UTF-8 exclude files are reported")
    func badExcludeFiles() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/exclude"
        let error = try #require(throws: ExcludeFileError.self) { try ExcludeFilter.patterns(fromFile: missing) }
        #expect(error.description.contains(missing))

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("exclude-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0x2A, 0xFF, 0x0A]).write(to: url)
        #expect(throws: ExcludeFileError.self) { try ExcludeFilter.patterns(fromFile: url.path) }
    }

    @Test("Whole-path matching (find) does not count a matching ancestor")
    func wholePathMatchingIgnoresAncestors() throws {
        let filter = try ExcludeFilter(patterns: ["*.txt", "/data/**/keep"])
        #expect(filter.matches(path: Array("/a/notes.txt".utf8)))
        #expect(!filter.matches(path: Array("/a/notes.txt/inner.md".utf8)))
        #expect(filter.excludes(path: Array("/a/notes.txt/inner.md".utf8)))
        #expect(filter.matches(path: Array("/data/x/y/keep".utf8)))
        #expect(!filter.matches(path: Array("/data/x/y/keep/file".utf8)))
        #expect(!filter.matches(path: Array("/other/keep".utf8)))
    }
}
