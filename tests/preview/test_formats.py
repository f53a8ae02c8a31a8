"""Dev Raw Data Source with the XML and LOG data formats, against what the engine's tests expect.

Each test cites the test it follows: the engine's unit tests in ``streamsets/datacollector``
(``TestStreamingXmlParser``, ``TestXmlCharDataParser``, ``TestCommonLogFormatParser``,
``TestLog4jParser``...) or the integration tests of ``streamsets/datacollector-tests``
(``stage/configuration/test_directory_origin.py``, ``test_amazon_s3_origin.py``), whose data
and expected records are used here unchanged where the Dev Raw Data Source can carry them.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowbuilder import Flow
from flowbuilder.errors import PreviewError
from flowbuilder.preview import PreviewResult, preview
from flowbuilder.preview._grok import BASE, compile_grok, java_regex
from flowbuilder.preview._hashmap import java_hash_order
from flowbuilder.preview._layouts import apache_to_grok, log4j_to_grok, strftime_to_java
from flowbuilder.preview._logs import LogConfigError, LogOptions, parse_log


def _preview(data_format: str, raw_data: str, **config: Any) -> PreviewResult:
    flow = (
        Flow("formats")
        .source("Dev Raw Data Source", data_format=data_format, raw_data=raw_data, **config)
        .to("Trash")
        .flow
    )
    return preview(flow)


def _records(data_format: str, raw_data: str, **config: Any) -> list[Any]:
    result = _preview(data_format, raw_data, **config)
    assert result.error_records == [], [e.error_message for e in result.error_records]
    return [record.value for record in result["Trash_01"].input]


def _xml(raw_data: str, **config: Any) -> list[Any]:
    return _records("XML", raw_data, **config)


# -- XML -----------------------------------------------------------------------------------------

BOOKS = """<bookstore>
  <book>
    <title lang="en">Harry Potter</title>
    <price>29.99</price>
  </book>
  <book>
    <title lang="en_us">Learning XML</title>
    <price>39.95</price>
  </book>
</bookstore>"""
HARRY = {"title": [{"attr|lang": "en", "value": "Harry Potter"}], "price": [{"value": "29.99"}]}
LEARNING = {"title": [{"attr|lang": "en_us", "value": "Learning XML"}], "price": [{"value": "39.95"}]}


def test_xml_each_delimiter_element_is_a_record_with_its_text_as_value() -> None:
    # TestXmlCharDataParser.testParse
    raw = "<r><e>Hello</e><e>Bye</e></r>"
    assert _xml(raw, delimiter_element="e", preserve_root_element=False) == [
        {"value": "Hello"},
        {"value": "Bye"},
    ]


def test_xml_without_delimiter_the_whole_document_is_one_record() -> None:
    # TestXmlCharDataParser.testXpathWithoutDelimiterElement (books as a list of maps) and the
    # default preserve_root_element, which keeps the root
    # (TestStreamingXmlParser.testParserPreserveRootElement).
    assert _xml(BOOKS, preserve_root_element=False) == [{"book": [HARRY, LEARNING]}]
    assert _xml(BOOKS) == [{"bookstore": {"book": [HARRY, LEARNING]}}]


@pytest.mark.parametrize("delimiter", ["/bookstore/book", "book", "/*[1]/*"])
def test_xml_delimiter_as_name_or_xpath_gives_the_same_records(delimiter: str) -> None:
    # TestXmlCharDataParser.testXpathWithDelimiterElement / testOldStyleParserOutput
    assert _xml(BOOKS, delimiter_element=delimiter, preserve_root_element=False) == [HARRY, LEARNING]
    assert _xml(BOOKS, delimiter_element=delimiter) == [{"book": HARRY}, {"book": LEARNING}]


def test_xml_fields_are_maps_lists_and_strings() -> None:
    result = _preview("XML", BOOKS, delimiter_element="book", preserve_root_element=False)
    record = result["Trash_01"].input[0]
    assert record.field_type("/") == "MAP"
    assert record.field_type("/title") == "LIST"
    assert record.field_type("/title[0]") == "MAP"
    assert record.field_type("/title[0]/value") == "STRING"


RECORDS_XML = """<root xmlns:foo="x">
  <x a="1"/>
  <record/>
  <record>r1</record>
  <foo:record>r2</foo:record>
  <a>
    <record>r3</record>
  </a>
  <record a="A"/>
  <record xmlns:x="y">r4</record>
  <record>
    <name>a</name>
  </record>
  <record>
    <name>b</name>
    <data>
      <value>0</value>
      <value>1</value>
    </data>
  </record>
  <record>foo<![CDATA[bar]]></record>
</root>"""


def test_xml_records_of_the_engines_streaming_parser_test() -> None:
    # TestStreamingXmlParser.testParser (TestStreamingXmlParser-records.xml): any namespace for a
    # plain element name, not the <record> inside <a>, CDATA joined to the text, repeated children
    # as a list, XML attributes and namespace declarations as field attributes.
    result = _preview(
        "XML",
        RECORDS_XML,
        delimiter_element="record",
        preserve_root_element=False,
        output_field_attributes=True,
    )
    records = result["Trash_01"].input
    assert [record.value for record in records] == [
        {},
        {"value": "r1"},
        {"value": "r2"},
        {},
        {"value": "r4"},
        {"name": [{"value": "a"}]},
        {"name": [{"value": "b"}], "data": [{"value": [{"value": "0"}, {"value": "1"}]}]},
        {"value": "foobar"},
    ]
    attributes = [record.root.attributes if record.root else None for record in records]
    assert attributes[3] == {"xmlAttr:a": "A"}
    assert attributes[4] == {"xmlns:x": "y"}


def test_xml_attributes_and_namespaces_as_fields() -> None:
    # The same document with output_field_attributes off (the catalog's default): attributes are
    # attr|name fields and namespace declarations ns|xmlns:prefix fields (StreamingXmlParser.toField).
    values = _xml(RECORDS_XML, delimiter_element="record", preserve_root_element=False)
    assert values[3] == {"attr|a": "A"}
    assert values[4] == {"ns|xmlns:x": "y", "value": "r4"}


COMPLEX_XML = """<root xmlns:foo="x">
  <toplevel><first/></toplevel>
  <toplevel><second/></toplevel>
  <ignoreme><something/></ignoreme>
  <toplevel>
    <third/>
    <blargh><something/></blargh>
    <blargh><else>
      </else></blargh>
    <blargh theone="yes">
      <x a="1"/>
      <record/>
      <record>r1</record>
      <foo:record>r2</foo:record>
      <a><record>r3</record></a>
      <record a="A"/>
      <record>
        <name>a</name>
      </record>
    </blargh>
  </toplevel>
</root>"""


def test_xml_xpath_with_positions_and_an_attribute() -> None:
    # TestStreamingXmlParser.testComplexInput and testPositionPredicate
    # (TestStreamingXmlParser-complex-records.xml, shortened): a step's position counts the
    # matching elements of the whole document; [@theone='yes'] picks the element by its attribute.
    # (with the leading '/' the stage's validation asks for: XPathValidatorUtil)
    delimiter = "/root[1]/toplevel[3]/blargh[@theone='yes']/record"
    values = _xml(COMPLEX_XML, delimiter_element=delimiter, preserve_root_element=False)
    assert values == [{}, {"value": "r1"}, {"attr|a": "A"}, {"name": [{"value": "a"}]}]
    fifth = _xml(COMPLEX_XML, delimiter_element=delimiter + "[4]", preserve_root_element=False)
    assert fifth == [{"name": [{"value": "a"}]}]


def test_xml_xpath_with_namespace_prefixes() -> None:
    # TestStreamingXmlParser.testXPathWithNamespaces (TestStreamingXmlParser-namespaced-records.xml)
    raw = """<root xmlns:foo="x" xmlns:x="x" xmlns:y="y" xmlns:z="z">
  <foo:record>0</foo:record>
  <record xmlns="y">1</record>
  <ns1:record xmlns:ns1="z">2</ns1:record>
  <record xmlns="x">3</record>
  <x:record>4</x:record>
  <y:record>5</y:record>
  <z:record>6</z:record>
  <foo:record>7</foo:record>
  <record>8</record>
  <whatev:record xmlns:whatev="x">9</whatev:record>
</root>"""
    values = _xml(
        raw,
        delimiter_element="myns:record",
        namespaces=[{"key": "myns", "value": "x"}],
        preserve_root_element=False,
        output_field_attributes=True,
    )
    assert [value["value"] for value in values] == ["0", "3", "4", "7", "9"]


def test_xml_namespaced_names_keep_the_first_prefix_or_get_ns1_ns2() -> None:
    # TestXmlCharDataParser.testXpathWithDelimiterElementNamespaced: a namespace without a prefix
    # in the document gets ns1, ns2... in the order met; a prefix of the document is kept.
    raw = (
        '<bookstore xmlns="http://namespace1.com" xmlns:books="http://namespace2.com">\n'
        "  <books:book>\n"
        '    <title xmlns="http://namespace3.com" lang="en">Harry Potter</title>\n'
        '    <price xmlns="http://namespace3.com">29.99</price>\n'
        "  </books:book>\n"
        "</bookstore>"
    )
    values = _xml(
        raw,
        delimiter_element="/bs:bookstore/b:book",
        namespaces=[
            {"key": "bs", "value": "http://namespace1.com"},
            {"key": "b", "value": "http://namespace2.com"},
        ],
        output_field_attributes=True,
    )
    assert values == [
        {"books:book": {"ns2:title": [{"value": "Harry Potter"}], "ns2:price": [{"value": "29.99"}]}}
    ]


def test_xml_whitespace_and_comments_are_skipped() -> None:
    # TestStreamingXmlParser.testParserWithWhitespaces: <c></c> has no value field.
    raw = """<root>
  <a>
    <!-- comment 1 -->
    <b>foo</b>
    <!-- comment 2 -->
    <c></c>
    <!-- comment 3 -->
  </a>
</root>"""
    assert _xml(raw, preserve_root_element=False) == [{"a": [{"b": [{"value": "foo"}], "c": [{}]}]}]


MSGS = """<?xml version="1.0" encoding="UTF-8"?>
                      <root>
                          <msg>
                              <time>8/12/2016 6:01:00</time>
                              <request>GET /index.html 200</request>
                          </msg>
                          <msg>
                              <time>8/12/2016 6:03:43</time>
                              <request>GET /images/sponsored.gif 304</request>
                          </msg>
                      </root>"""


def test_xml_delimiter_element_directory_origin() -> None:
    # test_directory_origin.py::test_directory_origin_configuration_delimiter_element
    expected = {"time": [{"value": "8/12/2016 6:01:00"}], "request": [{"value": "GET /index.html 200"}]}
    values = _xml(MSGS, delimiter_element="msg")
    assert values[0]["msg"] == expected
    assert len(values) == 2


@pytest.mark.parametrize(("maximum", "records"), [(206, 0), (208, 1), (220, 1)])
def test_xml_max_record_length(maximum: int, records: int) -> None:
    # test_directory_origin.py::test_directory_origin_configuration_max_record_length_in_chars_xml:
    # a record longer than the maximum sends the message to error (no output record).
    raw = """<?xml version="1.0" encoding="UTF-8"?>
                          <root>
                              <msg>
                                  <time>8/12/2016 6:01:00</time>
                                  <request>GET /index.html 200</request>
                              </msg>
                          </root>"""
    result = _preview("XML", raw, delimiter_element="msg", xml_max_object_len=maximum)
    output = [record.value for record in result["Trash_01"].input]
    assert len(output) == records
    if records:
        assert output[0]["msg"] == {
            "time": [{"value": "8/12/2016 6:01:00"}],
            "request": [{"value": "GET /index.html 200"}],
        }
    else:
        [error] = result.error_records
        assert "exceeds max length '206'" in (error.error_message or "")


def test_xml_namespaced_xpath_directory_origin() -> None:
    # test_directory_origin.py::test_directory_origin_configuration_namespaces
    raw = """<?xml version="1.0" encoding="UTF-8"?>
                      <root>
                          <a:data xmlns:a="http://www.companyA.com">
                              <msg>
                                  <time>8/12/2016 6:01:00</time>
                                  <request>GET /index.html 200</request>
                              </msg>
                              </a:data>
                          <c:data xmlns:c="http://www.companyC.com">
                              <sale>
                                  <item>Shoes</item>
                                  <item>Magic wand</item>
                                  <item>Tires</item>
                              </sale>
                          </c:data>
                          <a:data xmlns:a="http://www.companyA.com">
                              <msg>
                                  <time>8/12/2016 6:03:43</time>
                                  <request>GET /images/sponsored.gif 304</request>
                              </msg>
                          </a:data>
                      </root>"""
    values = _xml(
        raw,
        delimiter_element="/root/a:data/msg",
        namespaces=[{"key": "a", "value": "http://www.companyA.com"}],
    )
    rows = [{v["msg"]["time"][0]["value"]: v["msg"]["request"][0]["value"]} for v in values]
    assert rows == [
        {"8/12/2016 6:01:00": "GET /index.html 200"},
        {"8/12/2016 6:03:43": "GET /images/sponsored.gif 304"},
    ]


@pytest.mark.parametrize("output_field_attributes", [False, True])
def test_xml_output_field_attributes_directory_origin(output_field_attributes: bool) -> None:
    # test_directory_origin.py::test_directory_origin_configuration_output_field_attributes
    raw = """<?xml version="1.0" encoding="UTF-8"?>
                            <bookstore xmlns:prc="http://books.com/price">
                                <b:book xmlns:b="http://books.com/book">
                                    <title lang="en">Harry Potter</title>
                                    <prc:price>29.99</prc:price>
                                </b:book>
                                <b:book xmlns:b="http://books.com/book">
                                    <title lang="en_us">Learning XML</title>
                                    <prc:price>39.95</prc:price>
                                </b:book>
                            </bookstore>"""
    result = _preview(
        "XML", raw, delimiter_element="/*[1]/*", output_field_attributes=output_field_attributes
    )
    records = result["Trash_01"].input
    rows = [{r["/b:book/title[0]/value"]: r["/b:book/'prc:price'[0]/value"]} for r in records]
    assert rows == [{"Harry Potter": "29.99"}, {"Learning XML": "39.95"}]
    book = records[0].field("/b:book")
    assert book is not None
    if output_field_attributes:
        assert book.attributes == {"xmlns:b": "http://books.com/book"}
    else:
        assert not book.attributes
        assert records[0]["/b:book/'ns|xmlns:b'"] == "http://books.com/book"


def test_xml_that_is_not_well_formed_sends_the_message_to_error() -> None:
    # TestXmlCharDataParser.testInvalidXml: XML_PARSER_03 with the StAX parser's message; as for
    # JSON, the records before the fault go on and the whole message goes to error as bytes.
    result = _preview("XML", "<r><open-tag>asdf</r>", delimiter_element="e")
    assert result["Trash_01"].input == []
    [error] = result.error_records
    assert error.error_code == "SERVICE_ERROR_001"
    message = error.error_message or ""
    assert message.startswith("SERVICE_ERROR_001 - Cannot parse record from message 'rawData': XML_PARSER_03")
    assert 'The element type "open-tag" must be terminated by the matching end-tag' in message
    assert error.field_type() == "BYTE_ARRAY"

    raw = "<r><e>1</e><e>2</e><e>3</r>"
    result = _preview("XML", raw, delimiter_element="e", preserve_root_element=False)
    assert [r.value for r in result["Trash_01"].input] == [{"value": "1"}, {"value": "2"}]
    [error] = result.error_records
    assert error.value == raw.encode()


def test_xml_error_stops_the_preview_when_the_origin_says_stop() -> None:
    flow = (
        Flow("bad").source("Dev Raw Data Source", data_format="XML", raw_data="<a><b></a>").to("Trash").flow
    )
    flow.stages[0].configuration["on_record_error"] = "STOP_PIPELINE"
    with pytest.raises(PreviewError, match="XML_PARSER_03"):
        preview(flow)


@pytest.mark.parametrize(
    "raw",
    [
        # billion laughs: entities that expand to 10^9 "lol"s
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">' for i in range(1, 10))
        + "]><lolz>&lol9;</lolz>",
        # an external entity that would read a local file
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        # a parameter entity pointing outside
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]><r/>',
    ],
)
def test_xml_entities_are_refused_not_expanded(raw: str) -> None:
    started = time.monotonic()
    result = _preview("XML", raw)
    assert time.monotonic() - started < 2
    assert result["Trash_01"].input == []
    [error] = result.error_records
    assert "XML_PARSER_00" in (error.error_message or "")
    assert "root:" not in (error.error_message or "")


def test_xml_doctype_without_entities_is_skipped() -> None:
    raw = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "r.dtd"><r><a>1</a></r>'
    assert _xml(raw, preserve_root_element=False) == [{"a": [{"value": "1"}]}]


# -- LOG -----------------------------------------------------------------------------------------

# test_amazon_s3_origin.py (stage/configuration) data_format_content and get_data_to_verify_output
LOG_LINES = {
    "COMMON_LOG_FORMAT": '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache.gif HTTP/1.0" 200 232',
    "LOG4J": "200 [main] DEBUG org.StreamSets.Log4j unknown - This is sample log message",
    "APACHE_ERROR_LOG_FORMAT": "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client "
    "denied by server configuration:/export/home/live/ap/htdocs/test",
    "COMBINED_LOG_FORMAT": '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache.gif'
    ' HTTP/1.0" 200 2326 "http://www.example.com/strt.html" "Mozilla/4.08'
    ' [en] (Win98; I ;Nav)"',
    "GROK": '10.185.248.71 - - [09/Jan/2015:9:12:06 +0000] "GET '
    "/inventoryServic/inventory/purchaseItem?userId=20253471&itemId=23434300 "
    'HTTP/1.1" 500 17 ',
    "REGEX": "2019-04-30 08:23:53 AM [INFO] [streamsets.sdk.sdc_api] Pipeline Filewriterpipeline53",
}
LOG_LINES["APACHE_CUSTOM_LOG_FORMAT"] = LOG_LINES["GROK"]
LOG_LINES["CEF"] = (
    "10.217.31.247 CEF:0|Citrix|NetScaler|NS10.0|APPFW|APPFW_STARTURL|6|src=10.217.253.78 "
    "spt=53743 method=GET request=http://vpx247.example.net/FFC/login.html msg=Disallow Illegal URL."
)
LOG_LINES["LEEF"] = (
    "LEEF: 2.0|Trend Micro|Deep Security Agent|<DSA version>|4000030|cat=Anti-Malware "
    "name=HEU_AEGIS_CRYPT desc=HEU_AEGIS_CRYPT sev=6 cn1=241 msg=Realtime"
)
LOG_EXPECTED: dict[str, dict[str, Any]] = {
    "LOG4J": {
        "severity": "DEBUG",
        "relativetime": "200",
        "thread": "main",
        "category": "org.StreamSets.Log4j",
        "ndc": "unknown",
        "message": "This is sample log message",
    },
    "COMMON_LOG_FORMAT": {
        "request": "/apache.gif",
        "auth": "frank",
        "ident": "-",
        "response": "200",
        "bytes": "232",
        "clientip": "127.0.0.1",
        "verb": "GET",
        "httpversion": "1.0",
        "rawrequest": None,
        "timestamp": "10/Oct/2000:13:55:36 -0700",
    },
    "APACHE_ERROR_LOG_FORMAT": {
        "message": "client denied by server configuration:/export/home/live/ap/htdocs/test",
        "timestamp": "Wed Oct 11 14:32:52 2000",
        "loglevel": "error",
        "clientip": "127.0.0.1",
    },
    "COMBINED_LOG_FORMAT": {
        "request": "/apache.gif",
        "agent": '"Mozilla/4.08 [en] (Win98; I ;Nav)"',
        "auth": "frank",
        "ident": "-",
        "verb": "GET",
        "referrer": '"http://www.example.com/strt.html"',
        "response": "200",
        "bytes": "2326",
        "clientip": "127.0.0.1",
        "httpversion": "1.0",
        "rawrequest": None,
        "timestamp": "10/Oct/2000:13:55:36 -0700",
    },
    "GROK": {
        "request": "/inventoryServic/inventory/purchaseItem?userId=20253471&itemId=23434300",
        "auth": "-",
        "ident": "-",
        "response": "500",
        "bytes": "17",
        "clientip": "10.185.248.71",
        "verb": "GET",
        "httpversion": "1.1",
        "rawrequest": None,
        "timestamp": "09/Jan/2015:9:12:06 +0000",
    },
    "APACHE_CUSTOM_LOG_FORMAT": {
        "remoteUser": "-",
        "requestTime": "09/Jan/2015:9:12:06 +0000",
        "request": "GET /inventoryServic/inventory/purchaseItem?userId=20253471&itemId=23434300 HTTP/1.1",
        "logName": "-",
        "remoteHost": "10.185.248.71",
        "bytesSent": "17",
        "status": "500",
    },
    "CEF": {
        "severity": "6",
        "product": "NetScaler",
        "extensions": {
            "msg": "Disallow Illegal URL.",
            "request": "http://vpx247.example.net/FFC/login.html",
            "method": "GET",
            "src": "10.217.253.78",
            "spt": "53743",
        },
        "signature": "APPFW",
        "vendor": "Citrix",
        "cefVersion": 0,
        "name": "APPFW_STARTURL",
        "version": "NS10.0",
    },
    "LEEF": {
        "eventId": "4000030",
        "product": "Deep Security Agent",
        "extensions": {"cat": "Realtime"},
        "leefVersion": 2.0,
        "vendor": "Trend Micro",
        "version": "<DSA version>",
    },
    "REGEX": {
        "/time": "08:23:53",
        "/date": "2019-04-30",
        "/timehalf": "AM",
        "/info": "[INFO]",
        "/message": "Pipeline Filewriterpipeline53",
        "/file": "[streamsets.sdk.sdc_api]",
    },
}
REGEX_CONFIG = {
    "regular_expression": r"(\S+) (\S+) (\S+) (\S+) (\S+) (.*)",
    "field_path_to_regex_group_mapping": [
        {"fieldPath": "/date", "group": 1},
        {"fieldPath": "/time", "group": 2},
        {"fieldPath": "/timehalf", "group": 3},
        {"fieldPath": "/info", "group": 4},
        {"fieldPath": "/file", "group": 5},
        {"fieldPath": "/message", "group": 6},
    ],
}


@pytest.mark.parametrize("log_format", list(LOG_EXPECTED))
def test_log_formats_amazon_s3_origin(log_format: str) -> None:
    # test_amazon_s3_origin.py::test_configurations_data_format_log (GROK reads the
    # APACHE_CUSTOM_LOG_FORMAT line with the default %{COMMONAPACHELOG} pattern, as there).
    config: dict[str, Any] = REGEX_CONFIG if log_format == "REGEX" else {}
    if log_format == "APACHE_CUSTOM_LOG_FORMAT":
        config = {"custom_log_format": '%h %l %u [%t] "%r" %>s %b'}
    [value] = _records("LOG", LOG_LINES[log_format], log_format=log_format, **config)
    assert value == LOG_EXPECTED[log_format]
    # The fields come in the engine's HashMap order, the order these expected dicts list them in.
    assert list(value) == list(LOG_EXPECTED[log_format])
    if log_format in ("CEF", "LEEF"):
        assert list(value["extensions"]) == list(LOG_EXPECTED[log_format]["extensions"])


def test_log_fields_are_strings_in_a_map() -> None:
    result = _preview("LOG", LOG_LINES["COMMON_LOG_FORMAT"])
    record = result["Trash_01"].input[0]
    assert record.field_type("/") == "MAP"
    assert record.field_type("/response") == "STRING"


def test_log_retain_original_line_and_truncated() -> None:
    # TestCommonLogFormatParser.testParse: originalLine with retain_original_line, no /truncated.
    line = '127.0.0.1 ss h [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 Hello'
    [value] = _records("LOG", line, retain_original_line=True)
    assert value["originalLine"] == line
    assert "truncated" not in value
    assert (value["clientip"], value["ident"], value["auth"]) == ("127.0.0.1", "ss", "h")
    assert (value["verb"], value["request"], value["httpversion"]) == ("GET", "/apache_pb.gif", "1.0")
    assert (value["response"], value["bytes"]) == ("200", "2326")
    # A REGEX line longer than the maximum keeps its first characters and gets truncated: true.
    [value] = _records(
        "LOG",
        "abcdefghij",
        log_format="REGEX",
        regular_expression="(.*)",
        field_path_to_regex_group_mapping=[{"fieldPath": "all", "group": 1}],
        max_line_length=4,
        retain_original_line=True,
    )
    assert value == {"all": "abcd", "originalLine": "abcd", "truncated": True}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # TestCommonLogFormatParser.testParseNonLogLine
        (
            "127.0.0.1 ss h [10/Oct/2000:13:55:36 -0700] This is a log line that does not confirm to"
            " common log format",
            0,
        ),
        # the second line fails: the engine has read it ahead of the first record, which is lost too
        (LOG_LINES["COMMON_LOG_FORMAT"] + "\nnot a log line\n" + LOG_LINES["COMMON_LOG_FORMAT"], 0),
        # the third line fails: the first record goes on, the second is lost with the message
        ("\n".join([LOG_LINES["COMMON_LOG_FORMAT"]] * 2 + ["not a log line"]), 1),
        # an empty line is a line too
        (LOG_LINES["COMMON_LOG_FORMAT"] + "\n\n", 0),
    ],
)
def test_log_line_that_does_not_match_ends_the_message(raw: str, expected: int) -> None:
    result = _preview("LOG", raw)
    assert len(result["Trash_01"].input) == expected
    [error] = result.error_records
    assert error.error_code == "SERVICE_ERROR_001"
    assert "LOG_PARSER_03 - Log line '" in (error.error_message or "")
    assert "' does not conform to 'Common Log Format'" in (error.error_message or "")
    assert error.value == raw.encode()


def test_log_truncated_line_that_no_longer_matches_is_an_error() -> None:
    # TestCommonLogFormatParser.testTruncate: 25 characters of the line do not match.
    result = _preview("LOG", LOG_LINES["COMMON_LOG_FORMAT"], max_line_length=25)
    [error] = result.error_records
    assert "LOG_PARSER_03 - Log line '127.0.0.1 - frank [10/Oct'" in (error.error_message or "")


def test_log_regex_error_names_the_expression() -> None:
    # RegexParser: "Regular Expression - <regex>" is the format the message names.
    result = _preview("LOG", "x y\nnope", log_format="REGEX", **REGEX_CONFIG)
    [error] = result.error_records
    assert "does not conform to 'Regular Expression - (\\S+) (\\S+)" in (error.error_message or "")


LOG4J_HEADER = "2015-03-24 17:49:16,808 ERROR ExceptionToHttpErrorProvider - "
LOG4J_MESSAGE = (
    "REST API call error: LOG_PARSER_01 - Error parsing log line\n"
    "com.streamsets.pipeline.lib.parser.DataParserException: LOG_PARSER_01 - Error parsing log line\n"
    "\tat com.streamsets.pipeline.lib.parser.log.LogDataParser.parse(LogDataParser.java:69)\n"
    "\tat java.lang.Thread.run(Thread.java:745)\n"
    "Caused by: com.streamsets.pipeline.lib.parser.DataParserException: LOG_PARSER_03 - Log line\n"
    "\t... 61 more"
)


def test_log4j_stack_trace_joins_the_previous_record() -> None:
    # TestLog4jParser.testParseLogLineWithStackTrace (its stack trace shortened): the lines that do
    # not match follow the record's message and originalLine.
    [value] = _records(
        "LOG",
        LOG4J_HEADER + LOG4J_MESSAGE,
        log_format="LOG4J",
        use_custom_log_format=True,
        custom_log4j_format="%d{ISO8601} %-5p %c{1} - %m",
        on_parse_error="INCLUDE_AS_STACK_TRACE",
        trim_stack_trace_to_length=100,
        retain_original_line=True,
    )
    assert value["originalLine"] == LOG4J_HEADER + LOG4J_MESSAGE
    assert value["timestamp"] == "2015-03-24 17:49:16,808"
    assert value["severity"] == "ERROR"
    assert value["category"] == "ExceptionToHttpErrorProvider"
    assert value["message"] == LOG4J_MESSAGE


@pytest.mark.parametrize(("on_parse_error", "lines"), [("IGNORE", 0), ("INCLUDE_AS_STACK_TRACE", 2)])
def test_log4j_on_parse_error(on_parse_error: str, lines: int) -> None:
    # LogCharDataParser.readAhead: IGNORE drops the lines, INCLUDE_AS_STACK_TRACE keeps up to
    # trim_stack_trace_to_length of them.
    raw = LOG4J_HEADER + "first\nat a\nat b\nat c\n" + LOG4J_HEADER + "second"
    values = _records(
        "LOG",
        raw,
        log_format="LOG4J",
        custom_log4j_format="%d{ISO8601} %-5p %c{1} - %m",
        on_parse_error=on_parse_error,
        trim_stack_trace_to_length=2,
    )
    assert [v["message"] for v in values] == ["first" + "".join(["\nat a", "\nat b"][:lines]), "second"]


def test_log4j_first_line_that_does_not_match_is_an_error_whatever_on_parse_error() -> None:
    result = _preview("LOG", "at a\n" + LOG4J_HEADER + "x", log_format="LOG4J", on_parse_error="IGNORE")
    [error] = result.error_records
    assert "does not conform to 'Log4j Log Format'" in (error.error_message or "")


@pytest.mark.parametrize("ignore_control_characters", [True, False])
def test_log4j_ignore_control_characters(ignore_control_characters: bool) -> None:
    # test_directory_origin.py::test_directory_origin_configuration_ignore_control_characters
    line = "200 [main] DEBUG org.StreamSets.Log4j unknown - Th\fis is sam\aple l\0og message\v"
    [value] = _records("LOG", line, log_format="LOG4J", ignore_control_characters=ignore_control_characters)
    if ignore_control_characters:
        assert value["message"] == "This is sample log message"
    else:
        assert value["message"] == "Th\fis is sam\aple l\x00og message\v"


def test_ignore_control_characters_keeps_the_message_bytes_of_an_error() -> None:
    raw = "<a>\x01<b></a>"
    result = _preview("XML", raw, ignore_control_characters=True)
    [error] = result.error_records
    assert error.value == raw.encode()


def test_log4j_layouts_become_grok_as_the_engine_makes_them() -> None:
    # TestLog4jHelper: the default layout and a date with a custom format
    assert log4j_to_grok("%r [%t] %-5p %c %x - %m%n") == (
        r"^%{INT:relativetime} \[%{DATA:thread}\] %{LOGLEVEL:severity}(?:\s*) %{JAVACLASS:category} "
        r"%{DATA:ndc}? - %{GREEDYDATA:message}"
    )
    assert log4j_to_grok("%d{dd MMM yyyy} %m") == "^(?<timestamp>.{11}) %{GREEDYDATA:message}"


def test_apache_log_formats_become_grok_as_the_engine_makes_them() -> None:
    # TestApacheAccessLogHelper.testApacheFormatConversion
    assert apache_to_grok('%h %l %u [%t] "%r" %>s %b %{Referer}i %{User-agent}i') == (
        r"^%{IPORHOST:remoteHost} %{USER:logName} %{USER:remoteUser} \[(?<requestTime>%{HTTPDATE})\] "
        r'"%{DATA:request}" %{NUMBER:status} (?:%{NUMBER:bytesSent}|-) %{DATA:referer} %{DATA:userAgent}'
    )
    assert apache_to_grok("%H %m [%t] %U") == (
        r"^HTTP/%{NUMBER:httpversion} %{WORD:requestMethod} \[(?<requestTime>%{HTTPDATE})\] "
        r"%{NOTSPACE:urlPath}"
    )


def test_apache_custom_log_format_ncsa_combined() -> None:
    # TestApacheAccessLogHelper.testCustomPatternConversion2
    line = (
        '127.0.0.1 ss h [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
        ' "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
    )
    layout = '%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"'
    [value] = _records("LOG", line, log_format="APACHE_CUSTOM_LOG_FORMAT", custom_log_format=layout)
    assert value["remoteHost"] == "127.0.0.1"
    assert value["requestTime"] == "10/Oct/2000:13:55:36 -0700"
    assert value["request"] == "GET /apache_pb.gif HTTP/1.0"
    assert value["referer"] == "http://www.example.com/start.html"
    assert value["userAgent"] == "Mozilla/4.08 [en] (Win98; I ;Nav)"


CEF_LINE = (
    "CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= and \\ "
    "dst=1.1.1.1 fileName=C:\\Program Files\\test.txt port=test cs1=custom string value cs1Label=custom label"
)
CEF_LINE_2 = (
    "CEF:0|Tone Computacion|M Axes|4.14|port_scan|Port Scan|6|externalId=49062 "
    "cat=RECONNAISSANCE dvc=162.1.2.3 dvchost=162.1.2.3 shost=IP-162.2.2.3 src=162.2.2.3 "
    "flexNumber1Label=threat flexNumber1=60 flexNumber2Label=certainty flexNumber2=80 "
    "cs4Label=Tone Event URL cs4=https://162.1.2.3/detections/49062 cs5Label=triaged cs5=False "
    "dst=162.3.2.3 dhost= proto=tcp dpt=80 "
    "out=None in=None start=2573599048000 end="
)


def test_cef_escapes_and_labels() -> None:
    # TestCEFParser.testParse and testParse_null_values
    [value] = _records("LOG", CEF_LINE, log_format="CEF", retain_original_line=True)
    assert value["originalLine"] == CEF_LINE
    assert value["cefVersion"] == 0
    assert value["name"] == "detected a \\| in message"
    assert value["extensions"]["fileName"] == "C:\\Program Files\\test.txt"
    assert "cs1Label" not in value["extensions"]
    assert value["extensions"]["custom label"] == "custom string value"
    [value] = _records("LOG", CEF_LINE_2, log_format="CEF")
    assert (value["severity"], value["product"]) == ("6", "M Axes")
    extensions = value["extensions"]
    assert (extensions["triaged"], extensions["dst"], extensions["src"]) == (
        "False",
        "162.3.2.3",
        "162.2.2.3",
    )
    assert (extensions["dhost"], extensions["proto"], extensions["dpt"]) == ("", "tcp", "80")
    assert (extensions["out"], extensions["start"], extensions["end"]) == ("None", "2573599048000", "")


LEEF_1 = (
    "LEEF:1.0|Trend Micro|Deep Discovery Inspector|3.8.1175|SECURITY_RISK_DETECTION|"
    "devTimeFormat=MMM dd yyyy HH:mm:ss z\t ptype=IDS\tdvc=10.201.156.143\tsev=6\tact=not blocked\tcnt=1"
)
LEEF_2_TAIL = (
    "cat=Anti-Malware{0}name=HEU_AEGIS_CRYPT{0}desc=HEU_AEGIS_CRYPT{0}sev=6{0}cn1=241{0}cn1Label=Host{0}"
    "ID dvc=10.0.0.1{0}filePath=C:\\\\Windows\\\\System32\\\\virus.exe{0}act=Terminate{0}msg=Realtime"
)
LEEF_HEAD = "LEEF:2.0|Trend Micro|Deep Security Agent|<DSA version>|4000030|"


@pytest.mark.parametrize(
    ("line", "version", "act"),
    [
        (LEEF_1, 1.0, "not blocked"),
        (LEEF_HEAD + LEEF_2_TAIL.format("\t"), 2.0, "Terminate"),
        (LEEF_HEAD + "^|" + LEEF_2_TAIL.format("^"), 2.0, "Terminate"),
        (LEEF_HEAD + "x08|" + LEEF_2_TAIL.format("\b"), 2.0, "Terminate"),
    ],
)
def test_leef_versions_and_delimiters(line: str, version: float, act: str) -> None:
    # TestLEEFParser.testParse (LEEF 1.0, LEEF 2.0 with tab, caret and hex delimiters; lines shortened)
    [value] = _records("LOG", line, log_format="LEEF", retain_original_line=True)
    assert value["originalLine"] == line
    assert value["leefVersion"] == version
    assert value["extensions"]["act"] == act


@pytest.mark.parametrize("log_format", ["CEF", "LEEF"])
def test_cef_leef_line_without_header_ends_the_message(log_format: str) -> None:
    # TestCEFParser/TestLEEFParser.testParseNonLogLine: LOG_PARSER_12
    line = "127.0.0.1 ss h [10/Oct/2000:13:55:36 -0700] This is a log line that does not confirm to common"
    line += " log format"
    result = _preview("LOG", line, log_format=log_format)
    [error] = result.error_records
    assert f"LOG_PARSER_12 - Error parsing {log_format} record, expected 1 header fields, but found 0" in (
        error.error_message or ""
    )


def test_cef_line_the_engine_crashes_on_fails_the_preview() -> None:
    # CEFParser reads the version with Integer.parseInt: a NumberFormatException fails the pipeline.
    with pytest.raises(PreviewError, match="NumberFormatException"):
        _preview("LOG", "CEF:x|a|b|c|d|e|f|k=v", log_format="CEF")


def test_log_config_errors_are_preview_errors() -> None:
    with pytest.raises(PreviewError, match="LOG_PARSER_08") as raised:
        _preview(
            "LOG",
            "a",
            log_format="REGEX",
            regular_expression="(a)",
            field_path_to_regex_group_mapping=[{"fieldPath": "/x", "group": 2}],
        )
    assert raised.value.config == "field_path_to_regex_group_mapping"
    with pytest.raises(LogConfigError, match="LOG_PARSER_04"):  # the builder already refuses 0
        parse_log("a", LogOptions(max_line_len=0))
    with pytest.raises(LogConfigError, match="LOG_PARSER_10"):
        parse_log("a", LogOptions(mode="LOG4J", max_stack_trace_lines=-1))
    with pytest.raises(PreviewError, match="LOG_PARSER_11"):
        _preview("LOG", "a", log_format="GROK", grok_pattern="%{NOPE:x}")


def test_java_hash_order_is_the_order_of_a_java_hashmap() -> None:
    # java.util.HashMap iterates by bucket (String.hashCode, spread, of a table of 16, 32...
    # entries), keys of one bucket in the order they came: "a" is 97 (bucket 1), "p" 112 (0),
    # "q" 113 (1 of 16, 17 of 32).
    assert java_hash_order([], ["c", "b", "a"]) == ["a", "b", "c"]
    assert java_hash_order([], ["a", "p"]) == ["p", "a"]
    assert java_hash_order([], ["q", "a"]) == ["q", "a"]
    # 13 keys put one by one outgrow 16 buckets (threshold 12): the table doubles.
    assert java_hash_order(["q", *"abcdefghijkl"], []) == [*"abcdefghijkl", "q"]
    # 12 keys put one by one fit 16 buckets; putAll of 12 sizes the table for them: 32 buckets.
    assert java_hash_order(["q", *"abcdefghijk"], []) == ["q", *"abcdefghijk"]
    assert java_hash_order([], ["q", *"abcdefghijk"]) == [*"abcdefghijk", "q"]


def test_grok_without_atomic_groups_matches_the_same() -> None:
    # Python 3.10 has no atomic groups: the rewrite must match as the engine's patterns do.
    grok = compile_grok("%{COMBINEDAPACHELOG}", BASE)
    rewritten = java_regex(grok.compiled.regex.pattern, atomic=False)
    line = LOG_LINES["COMBINED_LOG_FORMAT"]
    found = rewritten.regex.search(line)
    assert found is not None
    assert {name: found.group(group) for name, group in grok.compiled.names} == LOG_EXPECTED[
        "COMBINED_LOG_FORMAT"
    ]
    assert "(?>" not in rewritten.regex.pattern


def test_xml_nested_too_deeply_is_an_error_not_a_crash() -> None:
    raw = "<a>" * 20000 + "</a>" * 20000
    result = _preview("XML", raw)
    [error] = result.error_records
    assert "XML_PARSER_03 - Can't parse XML: elements nested too deeply" in (error.error_message or "")


# -- XML include_field_xpaths ----------------------------------------------------------------------


def _xpaths(record: Any) -> dict[str, str]:
    fields = {path: record.field(path) for path in record.paths}
    return {
        path: f.attributes["xpath"] for path, f in fields.items() if f and "xpath" in (f.attributes or {})
    }


@pytest.mark.parametrize("include_field_xpaths", [True, False])
def test_xml_include_field_xpaths_directory_origin(include_field_xpaths: bool) -> None:
    # test_directory_origin.py::test_directory_origin_configuration_include_field_xpaths
    raw = """<?xml version="1.0" encoding="UTF-8"?>
                        <bookstore xmlns:prc="http://books.com/price">
                            <b:book xmlns:b="http://books.com/book">
                                <title lang="en">Harry Potter</title>
                                <prc:price>29.99</prc:price>
                            </b:book>
                            <b:book xmlns:b="http://books.com/book">
                                <title lang="en_us">Learning XML</title>
                                <prc:price>39.95</prc:price>
                            </b:book>
                        </bookstore>"""
    result = _preview("XML", raw, delimiter_element="/*[1]/*", include_field_xpaths=include_field_xpaths)
    records = result["Trash_01"].input
    rows = [{r["/b:book/title[0]/value"]: r["/b:book/'prc:price'[0]/value"]} for r in records]
    assert rows == [{"Harry Potter": "29.99"}, {"Learning XML": "39.95"}]
    header = records[0].attributes
    if include_field_xpaths:
        assert header["xmlns:b"] == "http://books.com/book"
        assert header["xmlns:prc"] == "http://books.com/price"
        assert _xpaths(records[0]) == {
            "/'b:book'/title[0]/'attr|lang'": "/bookstore/b:book/title/@lang",
            "/'b:book'/title[0]/value": "/bookstore/b:book/title",
            "/'b:book'/'prc:price'[0]/value": "/bookstore/b:book/prc:price",
        }
    else:
        assert "xmlns:b" not in header
        assert "xmlns:prc" not in header
        assert _xpaths(records[0]) == {}


def test_xml_xpaths_of_a_record_element_with_text_and_attributes() -> None:
    # TestXmlCharDataParser.testXpathWithDelimiterElementNonNested
    raw = """<root>
  <something attr1="attrVal1-1" attr2="attrVal2-1">1</something>
  <something attr1="attrVal1-2" attr2="attrVal2-2">2</something>
</root>"""
    result = _preview(
        "XML", raw, delimiter_element="something", include_field_xpaths=True, preserve_root_element=False
    )
    for record in result["Trash_01"].input:
        assert _xpaths(record) == {
            "/'attr|attr1'": "/root/something/@attr1",
            "/'attr|attr2'": "/root/something/@attr2",
            "/value": "/root/something",
        }


def test_xml_xpaths_keep_the_index_of_a_list_of_several() -> None:
    # TestXmlCharDataParser.testXpathWithoutDelimiterElement: two books keep [0] and [1].
    result = _preview(
        "XML", BOOKS, include_field_xpaths=True, preserve_root_element=False, output_field_attributes=True
    )
    [record] = result["Trash_01"].input
    assert _xpaths(record) == {
        "/book[0]/title[0]/value": "/bookstore/book[0]/title",
        "/book[0]/price[0]/value": "/bookstore/book[0]/price",
        "/book[1]/title[0]/value": "/bookstore/book[1]/title",
        "/book[1]/price[0]/value": "/bookstore/book[1]/price",
    }


def test_xml_xpaths_and_namespace_headers_of_namespaced_records() -> None:
    # TestXmlCharDataParser.testXpathWithDelimiterElementNamespaced (assertNamespacedBookRecordHeaders)
    raw = (
        '<bookstore xmlns="http://namespace1.com" xmlns:books="http://namespace2.com">\n'
        "  <books:book>\n"
        '    <title xmlns="http://namespace3.com" lang="en">Harry Potter</title>\n'
        '    <price xmlns="http://namespace3.com">29.99</price>\n'
        "  </books:book>\n"
        "</bookstore>"
    )
    result = _preview(
        "XML",
        raw,
        delimiter_element="/bs:bookstore/b:book",
        namespaces=[
            {"key": "bs", "value": "http://namespace1.com"},
            {"key": "b", "value": "http://namespace2.com"},
        ],
        include_field_xpaths=True,
        output_field_attributes=True,
        preserve_root_element=False,
    )
    [record] = result["Trash_01"].input
    header = record.attributes
    assert header["xmlns:ns1"] == "http://namespace1.com"
    assert header["xmlns:books"] == "http://namespace2.com"
    assert header["xmlns:ns2"] == "http://namespace3.com"
    # The engine also tracks the namespace declarations' own namespace (their QName's URI).
    assert header["xmlns:xmlns"] == "http://www.w3.org/2000/xmlns/"
    assert _xpaths(record)["/'ns2:title'[0]/value"] == "/ns1:bookstore/books:book/ns2:title"
    assert _xpaths(record)["/'ns2:price'[0]/value"] == "/ns1:bookstore/books:book/ns2:price"


@pytest.mark.parametrize(
    ("delimiter", "why"),
    [
        ("a/b", "XPath expression must start with /"),
        ("/a//b", "descendent-or-self (//) is not allowed"),
        ("/a/b[x]", "invalid predicate: [x]"),
        ("1abc", "invalid element name: 1abc"),
    ],
)
def test_xml_invalid_delimiter_is_the_engines_config_issue(delimiter: str, why: str) -> None:
    # DataParserFormatConfig.validateXml / XPathValidatorUtil (TestXPathValidatorUtil): DATA_FORMAT_03
    with pytest.raises(PreviewError, match="DATA_FORMAT_03") as raised:
        _preview("XML", "<a/>", delimiter_element=delimiter)
    assert why in raised.value.message
    assert raised.value.config == "delimiter_element"


def test_log4j_ftp_origin_syslog() -> None:
    # stage/test_ftp_origin.py::test_ftp_origin_syslog: one record, its originalLine the line.
    message = (
        "+20150320 [15:53:31,161] DEBUG PipelineConfigurationValidator - Pipeline 'test:preview' validation. "
        "valid=true, canPreview=true, issuesCount=0 - "
    )
    values = _records(
        "LOG",
        message,
        log_format="LOG4J",
        retain_original_line=True,
        on_parse_error="INCLUDE_AS_STACK_TRACE",
    )
    assert len(values) == 1
    assert values[0]["originalLine"] == message


def test_log4j_google_cloud_storage_origin() -> None:
    # stage/standard/test_google_storage_origin.py::test_data_format_log
    message = "200 [main] DEBUG org.StreamSets.Log4j unknown - This is a sample log message"
    assert _records("LOG", message, log_format="LOG4J") == [
        {
            "category": "org.StreamSets.Log4j",
            "message": "This is a sample log message",
            "ndc": "unknown",
            "relativetime": "200",
            "severity": "DEBUG",
            "thread": "main",
        }
    ]


def test_apache_strftime_time_is_matched_by_the_length_of_its_java_pattern() -> None:
    # ApacheCustomLogHelper.getDatePatternFromArgument: Strftime turns the format into a
    # SimpleDateFormat pattern, quotes included, and the time is that many characters.
    assert strftime_to_java("%d/%b/%Y:%H:%M:%S %z") == "dd'/'MMM'/'yyyy':'HH':'mm':'ss Z"
    assert apache_to_grok("%{%d/%b/%Y:%H:%M:%S %z}t %s") == "^(?<requestTime>.{32}) %{NUMBER:status}"
    line = "10/Oct/2000:13:55:36 -0700 ..... 200"  # the 26-character time and 6 more
    [value] = _records(
        "LOG", line, log_format="APACHE_CUSTOM_LOG_FORMAT", custom_log_format="%{%d/%b/%Y:%H:%M:%S %z}t %s"
    )
    assert value == {"requestTime": "10/Oct/2000:13:55:36 -0700 .....", "status": "200"}
