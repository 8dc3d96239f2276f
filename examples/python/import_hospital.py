#!/usr/bin/env python3
"""Import a hospital document into a store and print a summary.

    PYTHONPATH=build/release/python python3 examples/python/import_hospital.py \
        examples/data/hospital.json [sqlite:hospital.db]
"""

import os
import pathlib
import sys
import tempfile

import houqin
from houqin.site import Room, RoomType


def main():
    document = sys.argv[1] if len(sys.argv) > 1 else "examples/data/hospital.json"
    url = sys.argv[2] if len(sys.argv) > 2 else "sqlite::memory:"
    # Staff phones are personal data, sealed at rest: keys come from HOUQIN_KEYS, or for this demo
    # from a throwaway key file (data sealed with it cannot be read once it is gone).
    key_file = None
    if not os.environ.get("HOUQIN_KEYS"):
        key_file = pathlib.Path(tempfile.mkdtemp()) / "demo.keys"
        key_file.write_text(houqin.protect.generate_key_line("demo") + "\n")
    with houqin.Store(url, key_file=key_file, migrate=True) as store:
        try:
            report = houqin.site.import_hospital(store, document)
        except houqin.AlreadyExists as e:
            print("already imported:", e)
            report = {"inserted": {}, "total": 0}
        print("imported %d rows" % report["total"])
        summary = houqin.site.summarize(store)
        print("buildings %d  floors %d  rooms %d  beds %d  departments %d  staff %d" % (
            summary.buildings, summary.floors, summary.rooms, summary.beds,
            summary.departments, summary.staff))
        for kind, n in sorted(summary.rooms_by_type.items(), key=lambda kv: -kv[1])[:5]:
            print("  %-16s %4d rooms" % (kind, n))
        icu = store.find(Room, type=RoomType.icu, order_by="-beds")
        print("ICU rooms: %d, most beds: %s (%d)" % (len(icu), icu[0].code, icu[0].beds))


if __name__ == "__main__":
    main()
