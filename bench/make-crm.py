#!/usr/bin/env python3
"""Creates a benchmark CRM database: N customers with realistic fields and unique phones.

    bench/make-crm.py PATH N [SEED]
"""
import json, random, sqlite3, sys

path, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
first = ["Wanjiku", "Otieno", "Zoë", "José", "Łukasz", "Adébáyọ̀", "Priya", "Siobhán", "محمد", "Nguyễn Văn"]
last = ["Kamau", "O'Brien", "Müller", "Peña", "Okafor", "Sharma", "Ní Bhriain", "الهاشمي", "Khoa"]
tags = ["vip", "newsletter", "lead", "customer", "wholesale"]

db = sqlite3.connect(path)
db.execute("""CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT, mobile TEXT NOT NULL, email TEXT,
              country TEXT, tags TEXT, extra TEXT, whatsapp_opt_in INTEGER, updated_at TEXT)""")
rows = []
for i in range(count):
    name = f"{rng.choice(first)} {rng.choice(last)}"
    phone = f"+2547{10_000_000 + i:08d}"
    rows.append((name, phone, f"customer{i}@example.com", "KE", json.dumps(rng.sample(tags, rng.randint(0, 2))),
                 json.dumps({"tier": rng.choice(["gold", "silver"]), "customer_id": f"C-{i}"}), rng.choice([0, 1, None]),
                 "2026-01-01T00:00:00Z"))
db.executemany("INSERT INTO customers (full_name, mobile, email, country, tags, extra, whatsapp_opt_in, updated_at) VALUES (?,?,?,?,?,?,?,?)", rows)
db.commit()
