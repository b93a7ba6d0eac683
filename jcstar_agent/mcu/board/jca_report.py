"""Report v1 writer of the micro-agent: streams the criteria (from the list, or from the flash
file jca_agent.run spooled them to), merging each with its catalogue entry while it is written
(neither the catalogue nor the criteria are in RAM as a whole). Small on purpose: both the
check (jca_agent) and the signing (jca_sign) sides use it."""
import json


def lines(path):
    """The criterion catalogue's lines (one criterion a line, JSON), unparsed, one at a time."""
    try:
        fh = open(path)
    except OSError:
        return
    with fh:
        for line in fh:
            if line.strip():
                yield line



def spooled(path):
    """The criteria jca_agent.run spooled to ``path``, one JSON line each, one at a time."""
    with open(path) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def write_report(fh, report, cat_path):
    """Write ``report`` as JSON to ``fh``, streaming the criteria: each is merged with its
    catalogue entry (title, title_ja, methods, refs) only while it is written, so the catalogue
    (Japanese titles and cross-references, ~14 KB) is never in RAM as a whole."""
    fh.write("{")
    for k in report:
        if k != "criteria":
            fh.write('"%s":' % k)  # report keys are plain ASCII names
            json.dump(report[k], fh)  # streamed: no string of the whole value
            fh.write(",")
    fh.write('"criteria":[')
    try:
        cf = open(cat_path)
    except OSError:
        cf = None
    crit = report["criteria"]
    for i, c in enumerate(spooled(crit) if isinstance(crit, str) else crit):
        meta = None
        while cf is not None and meta is None:  # the catalogue lists the criteria in order
            line = cf.readline()
            if not line:
                cf.close()  # closed here, never left to the garbage collector
                cf = None
            elif line.strip():
                m = json.loads(line)
                if m["id"] == c["id"]:
                    meta = m
        if meta is None:
            meta = {"title": c["id"], "methods": [], "refs": {}}
        out = {"id": c["id"], "verdict": c["verdict"], "title": meta.get("title", c["id"]),
               "methods": meta.get("methods", []), "refs": meta.get("refs", {}),
               "reason": c["reason"], "findings": c["findings"]}
        if meta.get("title_ja"):
            out["title_ja"] = meta["title_ja"]
        if i:
            fh.write(",")
        json.dump(out, fh)
        meta = out = None
    if cf is not None:
        cf.close()
    fh.write("]}")
