"""Diagrams drawn in other tools: every MIWG export gets a definite answer, and XML tricks are refused.

The corpus (831 exports from 30 modelling tools) lives outside the repository, in ../shared/corpus/miwg.
"""

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from engine import deployments, diagrams

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "miwg"
HANG_SECONDS = 20  # far above the slowest file (~0.2 s): only a hang trips it


class Hung(Exception):
    pass


def _stop(_signum, _frame):
    raise Hung


def located(problem: diagrams.Problem) -> bool:
    return bool((problem.element_id or problem.line) and problem.message and problem.hint
                and problem.message_zh and problem.hint_zh)


def answer(data: bytes) -> list[diagrams.Problem] | str:
    """The deploy check's answer for one file, or what went wrong instead (an exception, a hang)."""
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        return deployments.validate(data)
    except Hung:
        return f"no answer within {HANG_SECONDS} s"
    except Exception as err:  # the point of the test: none may escape
        return f"raised {type(err).__name__}: {err}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def marked_executable(data: bytes) -> bytes | None:
    """The file as a supervisor would next try it: every process ticked "executable" (None if unreadable)."""
    try:
        root = diagrams.read_xml(data)
    except diagrams.DiagramRejected:
        return None
    for process in root.iterfind(".//bpmn:process", diagrams.NS):
        process.set("isExecutable", "true")
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the MIWG corpus is not at {CORPUS} (../shared/corpus/miwg)")
@pytest.mark.parametrize("variant", ["as exported", "marked executable"])
def test_every_miwg_file_is_valid_or_gets_located_problems(app, capsys, variant):
    files = sorted(CORPUS.rglob("*.bpmn"))
    assert len(files) > 800, f"expected the 831 MIWG files under {CORPUS}"
    outcome, failures, slowest = Counter(), [], (0.0, None)
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes() if variant == "as exported" else marked_executable(path.read_bytes())
        if data is None:
            outcome["unreadable"] += 1  # refused as exported already, with its located problem
            continue
        begun = time.perf_counter()
        result = answer(data)
        slowest = max(slowest, (time.perf_counter() - begun, path.relative_to(CORPUS)), key=lambda pair: pair[0])
        if isinstance(result, str):
            failures.append(f"{path.relative_to(CORPUS)}: {result}")
        elif not result:
            outcome["valid"] += 1
        elif all(located(p) for p in result):
            outcome["problems"] += 1
        else:
            failures.append(f"{path.relative_to(CORPUS)}: unlocated {[p for p in result if not located(p)]}")
    with capsys.disabled():
        print(f"\nMIWG corpus, {variant}: {len(files)} files in {time.perf_counter() - started:.1f} s; "
              f"{outcome['valid']} valid, {outcome['problems']} with located problems, "
              f"{outcome['unreadable']} skipped as unreadable, {len(failures)} failed; "
              f"slowest {slowest[1]} ({slowest[0]:.2f} s)")
    assert not failures, "\n".join(failures[:20])


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;"/>
</bpmn:definitions>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""
# a DOCTYPE after 64 KB of comment, past the quick scan of the first bytes
LATE_DOCTYPE = b'<?xml version="1.0"?>\n<!--' + b"x" * 70_000 + b"-->\n" + BILLION_LAUGHS.split(b"\n", 1)[1]
HUGE = b'<?xml version="1.0"?><a>' + b"<b/>" * (diagrams.MAX_BYTES // 4) + b"</a>"
UTF16 = '<?xml version="1.0" encoding="UTF-16"?><bpmn:definitions xmlns:bpmn="x"/>'.encode("utf-16")
LATIN1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\n<b name="Caf\u00e9"/></a>'.encode("latin-1")


@pytest.mark.parametrize("xml, code, line", [
    (BILLION_LAUGHS, "doctype", 2),
    (EXTERNAL_ENTITY, "doctype", 2),
    (PARAMETER_ENTITY, "doctype", 2),
    (LATE_DOCTYPE, "doctype", 1),
    (HUGE, "too_large", None),
    (UTF16, "not_utf8", 1),
    (LATIN1, "not_utf8", 3),
], ids=["billion-laughs", "external-entity", "parameter-entity", "late-doctype", "huge", "utf-16", "latin-1"])
def test_xml_tricks_are_refused_with_a_clear_message(api, xml, code, line):
    response = api("post", "/process-models/validate", "supervisor", data=xml,
                   headers={"Content-Type": "application/xml"})
    assert response.status_code == 200
    assert response.json["valid"] is False
    problem, = response.json["problems"]
    assert (problem["code"], problem["line"]) == (code, line)
    assert problem["message"] and problem["hint"] and problem["message_zh"] and problem["hint_zh"]
    assert "root:" not in problem["message"]  # nothing of /etc/passwd came back
    before = api("get", "/process-models", "supervisor").json
    deployed = api("post", "/process-models?comment=hostile", "supervisor", data=xml,
                   headers={"Content-Type": "application/xml"})
    assert deployed.status_code == 422
    assert deployed.json["error"]["details"][0]["code"] == code
    assert api("get", "/process-models", "supervisor").json == before
