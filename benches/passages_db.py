"""Writes the passages a running verbatim server holds into a SQLite
database with an FTS5 index (porter stemming), for Datasette to serve.

Usage: python3 benches/passages_db.py http://127.0.0.1:PORT OUT.db
"""
import json
import sqlite3
import sys
import urllib.parse
import urllib.request

base, out = sys.argv[1], sys.argv[2]


def get(path):
    with urllib.request.urlopen(base + path) as r:
        return r.read().decode()


db = sqlite3.connect(out)
db.executescript("""
drop table if exists passages;
drop table if exists passages_fts;
create table passages (passage_id text primary key, doc_id text, title text, text text);
create virtual table passages_fts using fts5(title, text, content=passages, tokenize='porter unicode61');
""")
rows = 0
for d in json.loads(get("/v1/documents"))["documents"]:
    q = urllib.parse.urlencode({"q": "", "doc": d["doc_id"], "format": "jsonl"})
    for line in get("/v1/search/export?" + q).splitlines():
        h = json.loads(line)
        db.execute("insert into passages values (?, ?, ?, ?)",
                   (h["passage_id"], h["doc_id"], h["title"], h["text"]))
        rows += 1
db.execute("insert into passages_fts(passages_fts) values ('rebuild')")
db.commit()
print(f"{rows} passages in {out}")
