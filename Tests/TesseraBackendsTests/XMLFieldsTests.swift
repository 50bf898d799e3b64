import Foundation
import Testing
import TesseraBackends

@Suite("XMLFields")
struct XMLFieldsTests {
    @Test("Reads a ListObjectsV2 page")
    func listPage() {
        let page = XMLFields(Data("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>2</KeyCount>
            <IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b&#x2F;c</NextContinuationToken>
            <Contents><Key>data/ab/ab01</Key><Size>12</Size></Contents>
            <Contents><Key>a&lt;b&gt;</Key><Size>0</Size><Owner/></Contents></ListBucketResult>
            """.utf8))
        #expect(page.first("IsTruncated") == "true")
        #expect(page.first("NextContinuationToken") == "a&b/c")
        #expect(page.blocks("Contents").map { $0.first("Key") } == ["data/ab/ab01", "a<b>"])
        #expect(page.blocks("Contents").map { $0.first("Size") } == ["12", "0"])
        #expect(page.values("Key").count == 2, "<KeyCount> is not <Key>")
    }

    @Test("Malformed documents give fewer values, never a crash", arguments: [
        "", "<", "<Key", "<Key>", "<Key>abc", "<Key/>", "</Key>", "<Key>&#xFFFFFFFF;</Key>", "<Key>&#;&amp</Key>", "<Key attr='1'>v</Key>",
    ])
    func malformed(_ text: String) {
        _ = XMLFields(Data(text.utf8)).values("Key")
        _ = XMLFields(Data(text.utf8)).blocks("Key").map { $0.values("Key") }
    }
}
