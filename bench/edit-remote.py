#!/usr/bin/env python3
"""Edits a share of the emulator's contacts as a dashboard user would (name and a custom
field), through contacts-sim's control API over one keep-alive connection.

    bench/edit-remote.py PORT SHARE     e.g. bench/edit-remote.py 4321 0.01
"""
import http.client, json, sys

port, share = int(sys.argv[1]), float(sys.argv[2])
connection = http.client.HTTPConnection("127.0.0.1", port)
connection.request("GET", "/_sim/contacts")
contacts = json.loads(connection.getresponse().read())
contacts = contacts.get("contacts", contacts) if isinstance(contacts, dict) else contacts
step = max(1, round(1 / share))
edited = 0
for contact in contacts[::step]:
    body = json.dumps({"name": (contact.get("name") or "") + " (edited)", "attributes": {"bench": "edited"}})
    connection.request("PATCH", f"/_sim/contacts/{contact['id']}", body, {"Content-Type": "application/json"})
    connection.getresponse().read()
    edited += 1
print(edited)
