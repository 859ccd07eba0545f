# ruff: noqa - a one-off generator run with DSVDesk 0.1 (see README.md), kept as it was run
import json
import sys
from pathlib import Path

import dsvdesk

assert str(dsvdesk.__file__).startswith("/tmp/v01src"), dsvdesk.__file__
from dsvdesk import workflow
from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.store import Store

out = Path(sys.argv[1])
out.unlink(missing_ok=True)
PW = "correct horse battery"
specs = load_forms_dir(Path("forms"))
spec = specs["124d"]
answers = json.loads(Path("tests/data/examples/124d.json").read_text())
answers["victim_first_name"] = "Wilhelmina"
answers["victim_surname"] = "Quibblethorpe"
with Store.open(out, create=True) as s:
    s.init_station("Trial Police Station", "admin", "Ada Admin", PW)
    a = s.login("admin", PW)
    s.add_user(a, "pc1", "officer", "Olga Officer", "101", PW, PW)
    s.add_user(a, "ps1", "supervisor", "Sam Sergeant", "201", PW, PW)
    o = s.login("pc1", PW)
    sup = s.login("ps1", PW)
    import re

    review = {}
    while True:
        try:
            ref = s.create_record(o, spec, answers)
            break
        except Exception as e:
            m = re.match(r"'([a-z0-9_]+)'", str(e))
            assert m, e
            review[m.group(1)] = answers.pop(m.group(1))
    workflow.submit_record(s, o, ref.id, PW)
    rec = s.open_record(sup, ref.id, justification="review")
    s.save_answers(sup, ref.id, review, rec.version)
    res = workflow.approve_record(s, sup, ref.id, PW)
    d = s.create_record(o, spec, {"victim_first_name": "Draftina", "victim_surname": "Keepsworth"})
    print(ref.id, res.urn, d.id, s.verify_audit())
