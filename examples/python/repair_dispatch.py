#!/usr/bin/env python3
"""Report a repair, dispatch it automatically (with every technician's score breakdown) or
centrally to a chosen technician, work it, close it and rate it, all through the registered
service operations (houqin.services.repair), as a service desk would.

    PYTHONPATH=build/release/python python3 examples/python/repair_dispatch.py \
        examples/data/hospital.json [--central]
"""

import os
import pathlib
import sys
import tempfile

import houqin
from houqin.services import repair

PASSWORD = "Hq-demo-2026!"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    central = "--central" in sys.argv
    document = args[0] if args else "examples/data/hospital.json"
    key_file = None
    if not os.environ.get("HOUQIN_KEYS"):  # staff phones are sealed at rest: throwaway demo keys
        key_file = pathlib.Path(tempfile.mkdtemp()) / "demo.keys"
        key_file.write_text(houqin.protect.generate_key_line("demo") + "\n")

    with houqin.Store("sqlite::memory:", key_file=key_file, migrate=True) as store:
        houqin.site.import_hospital(store, document)
        auth = houqin.auth.Auth(store, houqin.auth.Policy.for_tests())
        auth.bootstrap(("sysadmin", "System Admin", PASSWORD), ("secadmin", "Security Admin", PASSWORD),
                       ("auditor", "Auditor", PASSWORD))
        sysadmin, secadmin = auth.login("sysadmin", PASSWORD), auth.login("secadmin", PASSWORD)

        def user(login, permissions):
            uid = auth.create_user(sysadmin, login, login, PASSWORD)
            auth.define_role(secadmin, login + "_role", login, permissions)
            auth.grant(secadmin, uid, login + "_role")
            return auth.login(login, PASSWORD)

        desk = user("desk", ["repair.report", "repair.dispatch", "repair.close", "repair.configure"])
        tech = user("tech", ["repair.work"])

        # The maintenance team: every staff member with a trade skill becomes a technician.
        trades = {"electrical", "plumbing", "hvac", "medical_gas", "carpentry", "elevator"}
        for s in store.find(houqin.site.Staff, active=True):
            team = next((k for k in s.skills if k in trades), None)
            if team:
                repair.save_technician(store, desk, staff_id=s.id, team=team)
        item = repair.save_item(store, desk, code="EL-LIGHT", name="Ceiling light fault",
                                category="electrical", standard_labour_minutes=45,
                                skills=["electrical"], typical_materials=["LED panel"])

        ward = store.find(houqin.site.Room, type="ward", limit=1)[0]
        order = repair.report(store, desk, room_id=ward.id, repair_item_id=item["id"],
                              description="Ceiling light flickers over bed 3",
                              reporter_phone="13812345678", urgency="high")
        print("reported %s in room %s (%s), priority %s, status %s" % (
            order["code"], ward.code, ward.name, order["priority"], order["status"]))

        if central:
            # A dispatcher looks at the scores, then picks the technician himself.
            decision = repair.explain_dispatch(store, desk, work_order_id=order["id"])
            chosen = decision["candidates"][0]["staff_id"]
            repair.dispatch(store, desk, work_order_id=order["id"], technician_id=chosen)
            print("dispatched centrally to staff %d" % chosen)
        else:
            decision = repair.auto_dispatch(store, desk, work_order_id=order["id"])
            print("dispatched automatically to staff %d" % decision["chosen"])
        print("%-10s %-12s %5s %5s %5s %5s %6s  %s" % ("staff", "team", "skill", "duty", "load",
                                                       "dist", "total", "why not"))
        for c in decision["candidates"][:6]:
            print("%-10s %-12s %5.1f %5.1f %5.1f %5.1f %6.1f  %s" % (
                c["name"], c["team"], c["skill"], c["duty"], c["load"], c["distance"], c["total"],
                c["excluded_because"]))

        wid = order["id"]
        repair.accept(store, tech, work_order_id=wid)
        repair.start(store, tech, work_order_id=wid)
        repair.add_labour(store, tech, work_order_id=wid, minutes=40, note="replaced driver")
        repair.complete(store, tech, work_order_id=wid)
        repair.verify(store, desk, work_order_id=wid)
        closed = repair.close(store, desk, work_order_id=wid)
        repair.rate(store, desk, work_order_id=wid, score=5, comment="quick and tidy")
        history = repair.history(store, desk, work_order_id=wid)["transitions"]
        print("status %s after %s; labour %d min" % (
            closed["status"], " -> ".join(t["to_status"] for t in history), closed["labour_minutes"]))


if __name__ == "__main__":
    main()
