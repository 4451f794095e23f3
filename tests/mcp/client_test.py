"""verbatim's MCP server, driven by the official Python MCP SDK (`mcp` on PyPI).

    python tests/mcp/client_test.py BINARY CORPUS INDEX

Starts `BINARY mcp` over stdio, lists the tools and calls every one; checks
that every citation returned slices its document's text exactly, that the
SDK accepts every structured result against the tool's output schema (it
validates them itself), that malformed arguments come back as tool errors
carrying the API's code, and that the server still answers afterwards.
scripts/mcp.sh runs it on a scratch copy of the default corpus.
"""

import asyncio
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

TOOLS = {
    "search",
    "ask",
    "check_quote",
    "check_draft",
    "verify_citations",
    "get_passage",
    "get_document",
    "list_documents",
}


class Check:
    """Counts what was checked, so the run can say it checked something."""

    def __init__(self):
        self.citations = 0
        self.calls = 0


async def main(binary, corpus, index):
    params = StdioServerParameters(
        command=binary,
        args=["mcp", "--corpus", corpus, "--index", index, "--log-format", "json"],
    )
    seen = Check()
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            assert info.server_info.name == "verbatim", info.server_info
            assert "no answer" in (info.instructions or "").lower(), info.instructions

            listed = await session.list_tools()
            assert {t.name for t in listed.tools} == TOOLS, [t.name for t in listed.tools]
            for t in listed.tools:
                assert t.description, t.name
                assert t.input_schema["type"] == "object", t.name
                assert t.output_schema and t.output_schema["type"] == "object", t.name
                assert t.annotations.read_only_hint is True, t.name
                assert t.annotations.destructive_hint is False, t.name

            async def call(name, args):
                seen.calls += 1
                return await session.call_tool(name, args)

            async def ok(name, args):
                r = await call(name, args)
                assert not r.is_error, (name, args, r.content)
                assert r.structured_content is not None, name
                assert r.content and r.content[0].type == "text" and r.content[0].text, name
                return r.structured_content, r.content[0].text

            async def error(name, args, code):
                r = await call(name, args)
                assert r.is_error, (name, args, r.structured_content)
                got = r.structured_content["error"]["code"]
                assert got == code, (name, args, got, code)
                assert code in r.content[0].text, r.content[0].text

            # The index opens in the background; the first call, made at
            # once, waits for it (up to 60 s) and answers, never `not_ready`.
            docs, text = await ok("list_documents", {})
            docs = docs["documents"]
            assert len(docs) >= 2, docs
            assert f"{len(docs)} documents" in text, text

            texts = {}
            for d in docs:
                doc, text = await ok("get_document", {"doc_id": d["doc_id"]})
                assert doc["doc_id"] == d["doc_id"] and len(doc["text"]) == doc["chars"], d
                assert doc["text"] in text, d["doc_id"]
                texts[d["doc_id"]] = doc["text"]

            def sliced(citation, text):
                got = texts[citation["doc_id"]][citation["start"]:citation["end"]]
                assert got == text, (citation, got, text)
                seen.citations += 1

            def cited_in(rendering, citation, text):
                """The text rendering quotes the source exactly, with its label."""
                assert text in rendering and citation["label"] in rendering, (rendering, citation)

            # search: every hit is a slice, quoted and cited in the text.
            for args in [
                {"q": "robots"},
                {"q": '"sovereign AI"', "limit": 5},
                {"q": "Japan AND chips", "offset": 1, "limit": 3},
                {"q": "robotics", "mode": "lexical", "kind": "article"},
                {"q": "zzzzqqq"},
            ]:
                page, text = await ok("search", args)
                assert page["query"] == args["q"]
                for h in page["hits"]:
                    sliced(h["citation"], h["text"])
                    cited_in(text, h["citation"], h["text"])
                    for hl in h["highlights"]:
                        assert h["citation"]["start"] <= hl["start"] < hl["end"] <= h["citation"]["end"], hl
            first = (await ok("search", {"q": "robots"}))[0]["hits"][0]
            # An operator is read back, so the assistant knows what was searched.
            page, text = await ok("search", {"q": "Honda NOT Sony"})
            assert page["read_as"] == "Honda -Sony" and "Query read as: Honda -Sony" in text, text

            # ask: answers are slices; a question the sources cannot answer says so.
            answered = 0
            for question in [
                "What is sovereign AI?",
                "Who is building robots in Japan?",
                "How much is Japan investing in AI?",
                "What is the population of Peru?",
                "Which football club won the 1998 World Cup?",
            ]:
                r, text = await ok("ask", {"question": question, "limit": 3})
                if r["status"] == "answered":
                    answered += 1
                    assert r["answers"], r
                    for a in r["answers"]:
                        sliced(a["citation"], a["text"])
                        cited_in(text, a["citation"], a["text"])
                else:
                    assert r["status"] == "no_answer" and not r["answers"], r
                    assert "No answer in these sources" in text, text
                    # Each nearest passage is labelled in the text as on the wire.
                    for h in r["related"]:
                        assert isinstance(h["possibly_relevant"], bool), h
                        label = "possibly relevant, not confirmed" if h["possibly_relevant"] else "not an answer"
                        assert f"[{label}]" in text, (label, text)
                for h in r["related"]:
                    sliced(h["citation"], h["text"])
            assert answered >= 1, "no question was answered"
            r, text = await ok("ask", {"question": "Which football club won the 1998 World Cup?"})
            assert r["status"] == "no_answer" and "No answer in these sources" in text, (r, text)

            # check_quote: verbatim, altered and not found.
            passage, text = await ok("get_passage", {"passage_id": first["passage_id"]})
            sliced(passage["citation"], passage["text"])
            cited_in(text, passage["citation"], passage["text"])
            for s in passage["sentences"]:
                sliced({"doc_id": passage["doc_id"], "start": s["start"], "end": s["end"]}, s["text"])
            sentence = max(passage["sentences"], key=lambda s: len(s["text"]))["text"]
            words = sentence.split()
            assert len(words) >= 6, sentence
            altered = " ".join(words[:3] + ["purple"] + words[4:])
            verdicts = {}
            for quote in [sentence, altered, "The moon is made of green cheese, said nobody ever"]:
                r, text = await ok("check_quote", {"quote": quote})
                verdicts[quote] = r["verdict"]
                if r["match"]:
                    sliced(r["match"]["citation"], r["match"]["text"])
                    cited_in(text, r["match"]["citation"], r["match"]["text"])
                for h in r["candidates"]:
                    sliced(h["citation"], h["text"])
            assert verdicts[sentence] == "verbatim", verdicts
            assert verdicts[altered] == "altered", verdicts
            assert verdicts["The moon is made of green cheese, said nobody ever"] == "not_found", verdicts
            # A quote stitched from two paragraphs: each piece sliced and cited.
            stitched = "Japan’s plan is framed as national self-help, designed to compete with leading global foundation models"
            r, text = await ok("check_quote", {"quote": stitched})
            assert r["verdict"] == "altered" and len(r["pieces"]) == 2, r
            for piece in r["pieces"]:
                sliced(piece["citation"], piece["text"])
                cited_in(text, piece["citation"], piece["text"])
            assert "joins 2 pieces from different places" in text, text

            # check_draft: every quotation of a draft.
            draft = f'The report said “{sentence}” Critics replied that “{altered}”'
            r, text = await ok("check_draft", {"text": draft})
            assert [q["verdict"] for q in r["quotes"]] == ["verbatim", "altered"], r
            for q in r["quotes"]:
                assert draft[q["start"]:q["end"]] == q["quote"], q
                sliced(q["match"]["citation"], q["match"]["text"])
            assert "2 quotations found" in text, text

            # verify_citations: a citation as given, kept with its text, is
            # still exact; one whose document never existed is gone.
            kept = dict(passage["citation"], text=passage["text"])
            gone = dict(kept, doc_id="no-such-document", text="Zebra quartz words no source holds at all.")
            r, text = await ok("verify_citations", {"citations": [kept, gone]})
            assert [v["status"] for v in r["results"]] == ["exact", "gone"], r
            sliced(r["results"][0]["citations"][0], r["results"][0]["text"])
            assert "1. exact" in text and "2. gone" in text, text

            # Resources: every document, readable.
            resources = await session.list_resources()
            assert len(resources.resources) == len(docs), resources
            one = resources.resources[0]
            assert str(one.uri).startswith("verbatim://documents/"), one.uri
            read = await session.read_resource(one.uri)
            assert read.contents and '"text"' in read.contents[0].text, read
            templates = await session.list_resource_templates()
            assert templates.resource_templates[0].uri_template == "verbatim://documents/{doc_id}"

            # Malformed arguments: tool errors with the API's code; the server stays up.
            await error("search", {}, "invalid_parameter")
            await error("search", {"q": ["robots"]}, "invalid_parameter")
            await error("search", {"query": "robots"}, "invalid_parameter")
            await error("search", {"q": "robots", "limit": 1000}, "invalid_parameter")
            await error("search", {"q": "robots", "limit": "many"}, "invalid_parameter")
            await error("search", {"q": "robots", "mode": "psychic"}, "invalid_parameter")
            await error("search", {"q": "!!! ???"}, "invalid_query")
            await error("ask", {}, "invalid_json")
            await error("ask", {"question": 42}, "invalid_json")
            await error("ask", {"question": "Who?", "limit": 0}, "invalid_parameter")
            await error("check_quote", {"quote": ""}, "invalid_quote")
            await error("check_quote", {"quote": " ".join(["word"] * 400)}, "quote_too_long")
            await error("check_draft", {"text": "x", "format": "csv"}, "invalid_parameter")
            await error("get_passage", {"passage_id": "nope:p1"}, "not_found")
            await error("get_passage", {"passage_id": 7}, "invalid_parameter")
            await error("get_document", {"doc_id": "no-such-document"}, "not_found")
            await error("get_document", {}, "invalid_parameter")
            await error("list_documents", {"extra": 1}, "invalid_parameter")
            try:
                await session.call_tool("delete_everything", {})
                raise AssertionError("an unknown tool was accepted")
            except MCPError:
                pass
            try:
                await session.read_resource("verbatim://documents/no-such-document")
                raise AssertionError("an unknown resource was read")
            except MCPError:
                pass

            await session.send_ping()
            again, _ = await ok("search", {"q": "robots"})
            assert again["hits"][0]["passage_id"] == first["passage_id"]

    assert seen.citations >= 30, seen.citations
    print(f"mcp client: {seen.calls} tool calls, {seen.citations} citations sliced exactly, every result schema-valid")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(*sys.argv[1:]))
