"""An osTicket 1.18 database on the machine's MariaDB: only the tables and columns the reader
reads, as osTicket's install SQL declares them, filled with a Romanian and a Czech ticket: their
threads, files, departments, help topics, priorities and status events (resolved, reopened by
the customer's answer; transferred, closed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql

HOST, PORT = "127.0.0.1", 3306
CONFIRMATION = b"%PDF-1.4\n" + "Confirmare plată – factura 0042\n".encode() * 400
CONTRACT = b"%PDF-1.4\n" + "Smlouva o dodávce – Plzeň\n".encode() * 50
CONTRACT_KEY = "bX7kQ2pLmN9vRt4wYz1aCd3eFg5hJk6M"

SCHEMA = """
CREATE TABLE ost_organization (
  id int(10) unsigned NOT NULL AUTO_INCREMENT, name varchar(128) NOT NULL DEFAULT '',
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_user (
  id int(10) unsigned NOT NULL AUTO_INCREMENT, org_id int(10) unsigned NOT NULL,
  default_email_id int(10) NOT NULL, name varchar(128) NOT NULL, PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_user_email (
  id int(10) unsigned NOT NULL AUTO_INCREMENT, user_id int(10) unsigned NOT NULL,
  address varchar(255) NOT NULL, PRIMARY KEY (id), UNIQUE KEY address (address)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_staff (
  staff_id int(11) unsigned NOT NULL AUTO_INCREMENT, firstname varchar(32) DEFAULT NULL,
  lastname varchar(32) DEFAULT NULL, email varchar(255) DEFAULT NULL,
  phone varchar(24) NOT NULL DEFAULT '', isactive tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (staff_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_ticket_status (
  id int(11) NOT NULL AUTO_INCREMENT, name varchar(60) NOT NULL DEFAULT '',
  state varchar(16) DEFAULT NULL, PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_ticket (
  ticket_id int(11) unsigned NOT NULL AUTO_INCREMENT, number varchar(20),
  user_id int(11) unsigned NOT NULL DEFAULT '0', status_id int(10) unsigned NOT NULL DEFAULT '0',
  staff_id int(10) unsigned NOT NULL DEFAULT '0', closed datetime DEFAULT NULL,
  lastupdate datetime DEFAULT NULL, created datetime NOT NULL, updated datetime NOT NULL,
  dept_id int(10) unsigned NOT NULL DEFAULT '0', topic_id int(10) unsigned NOT NULL DEFAULT '0',
  PRIMARY KEY (ticket_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_ticket__cdata (
  ticket_id int(11) unsigned NOT NULL DEFAULT '0', subject mediumtext, priority mediumtext,
  PRIMARY KEY (ticket_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_department (
  id int(11) unsigned NOT NULL AUTO_INCREMENT, pid int(11) unsigned DEFAULT NULL,
  name varchar(128) NOT NULL DEFAULT '', PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_help_topic (
  topic_id int(11) unsigned NOT NULL AUTO_INCREMENT,
  topic_pid int(10) unsigned NOT NULL DEFAULT '0',
  isactive tinyint(1) unsigned NOT NULL DEFAULT '1',
  priority_id int(10) unsigned NOT NULL DEFAULT '0',
  dept_id int(10) unsigned NOT NULL DEFAULT '0', topic varchar(128) NOT NULL DEFAULT '',
  PRIMARY KEY (topic_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_ticket_priority (
  priority_id tinyint(4) NOT NULL AUTO_INCREMENT, priority varchar(60) NOT NULL DEFAULT '',
  priority_desc varchar(30) NOT NULL DEFAULT '', priority_color varchar(7) NOT NULL DEFAULT '',
  priority_urgency tinyint(1) unsigned NOT NULL DEFAULT '0',
  ispublic tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (priority_id), UNIQUE KEY priority (priority)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_event (
  id int(10) unsigned NOT NULL AUTO_INCREMENT, name varchar(60) NOT NULL,
  description varchar(60) DEFAULT NULL, PRIMARY KEY (id), UNIQUE KEY name (name)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_thread_event (
  id int(11) unsigned NOT NULL AUTO_INCREMENT, thread_id int(11) unsigned NOT NULL DEFAULT '0',
  thread_type char(1) NOT NULL DEFAULT '', event_id int(11) unsigned DEFAULT NULL,
  staff_id int(11) unsigned NOT NULL, team_id int(11) unsigned NOT NULL,
  dept_id int(11) unsigned NOT NULL, topic_id int(11) unsigned NOT NULL,
  data varchar(1024) DEFAULT NULL, username varchar(128) NOT NULL DEFAULT 'SYSTEM',
  uid int(11) unsigned DEFAULT NULL, uid_type char(1) NOT NULL DEFAULT 'S',
  annulled tinyint(1) unsigned NOT NULL DEFAULT '0', timestamp datetime NOT NULL,
  PRIMARY KEY (id), KEY ticket_state (thread_id, event_id, timestamp)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_thread (
  id int(11) unsigned NOT NULL AUTO_INCREMENT, object_id int(11) unsigned NOT NULL,
  object_type char(1) NOT NULL, created datetime NOT NULL, PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_thread_entry (
  id int(11) unsigned NOT NULL AUTO_INCREMENT, thread_id int(11) unsigned NOT NULL DEFAULT '0',
  staff_id int(11) unsigned NOT NULL DEFAULT '0', user_id int(11) unsigned NOT NULL DEFAULT '0',
  type char(1) NOT NULL DEFAULT '', body text NOT NULL,
  format varchar(16) NOT NULL DEFAULT 'html', created datetime NOT NULL, PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_file (
  id int(11) NOT NULL AUTO_INCREMENT, bk char(1) NOT NULL DEFAULT 'D',
  type varchar(255) NOT NULL DEFAULT '', size bigint(20) unsigned NOT NULL DEFAULT '0',
  `key` varchar(86) NOT NULL, name varchar(255) NOT NULL DEFAULT '', PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_file_chunk (
  file_id int(11) NOT NULL, chunk_id int(11) NOT NULL, filedata longblob NOT NULL,
  PRIMARY KEY (file_id, chunk_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE ost_attachment (
  id int(10) unsigned NOT NULL AUTO_INCREMENT, object_id int(11) unsigned NOT NULL,
  type char(1) NOT NULL, file_id int(11) unsigned NOT NULL, name varchar(255) DEFAULT NULL,
  inline tinyint(1) unsigned NOT NULL DEFAULT '0', PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
"""

EVENTS = [
    (1, "created", None), (2, "closed", None), (3, "reopened", None), (4, "assigned", None),
    (5, "released", None), (6, "transferred", None), (7, "edited", None),
]  # fmt: skip
# (id, thread, type, event, staff, team, dept, topic, data, username, uid, uid_type, annulled,
#  timestamp)
THREAD_EVENTS = [
    (1, 1, "T", 1, 0, 0, 1, 1, None, "Mihai Popescu", 1, "U", 0, "2024-03-04 07:00:00"),
    (2, 1, "T", 4, 1, 0, 1, 1, '{"staff":[1,"Ioana Marinescu"]}', "ioana", 1, "S", 0,
     "2024-03-04 07:20:00"),
    # Resolved with the answer at 08:00; Mihai's message at 09:00 reopens it.
    (3, 1, "T", 2, 1, 0, 1, 1, '{"status":[2,"Resolved"]}', "ioana", 1, "S", 0,
     "2024-03-04 08:00:00"),
    (4, 1, "T", 3, 0, 0, 1, 1, None, "Mihai Popescu", 1, "U", 0, "2024-03-04 09:00:00"),
    (5, 2, "T", 1, 0, 0, 1, 2, None, "Jana Svobodová", 2, "U", 0, "2024-03-05 10:00:00"),
    (6, 2, "T", 6, 2, 0, 2, 2, '{"dept":[2,"Fakturace"]}', "petr", 2, "S", 0,
     "2024-03-05 10:30:00"),
    (7, 2, "T", 2, 2, 0, 2, 2, '{"status":[3,"Closed"]}', "petr", 2, "S", 0,
     "2024-03-06 15:00:00"),
]  # fmt: skip

ROWS: dict[str, list[tuple]] = {
    "ost_organization": [(1, "Transilvania Logistică SRL")],
    "ost_user_email": [
        (1, 1, "mihai.popescu@transilvania.ro"),
        (2, 2, "jana.svobodova@plzenske.cz"),
    ],
    "ost_user": [(1, 1, 1, "Mihai Popescu"), (2, 0, 2, "Jana Svobodová")],
    "ost_staff": [
        (1, "Ioana", "Marinescu", "ioana.marinescu@suport-firma.ro", "+40 264 000 111", 1),
        (2, "Petr", "Novák", "petr.novak@suport-firma.ro", "", 1),
    ],
    "ost_ticket_status": [(1, "Open", "open"), (2, "Resolved", "closed"), (3, "Closed", "closed")],
    "ost_ticket": [
        (
            1,
            "482913",
            1,
            1,
            1,
            None,
            "2024-03-04 09:00:00",
            "2024-03-04 07:00:00",
            "2024-03-04 09:00:00",
            1,
            1,
        ),
        (
            2,
            "482914",
            2,
            3,
            2,
            "2024-03-06 15:00:00",
            "2024-03-06 15:00:00",
            "2024-03-05 10:00:00",
            "2024-03-06 15:00:00",
            2,
            2,
        ),
    ],
    "ost_ticket__cdata": [
        (1, "Nu pot emite factura din portal", "3"),
        (2, "Změna fakturační adresy", "2"),
    ],
    "ost_department": [(1, None, "Suport tehnic"), (2, None, "Fakturace")],
    "ost_help_topic": [(1, 0, 1, 3, 1, "Facturare electronică"), (2, 0, 1, 2, 2, "Změna údajů")],
    "ost_ticket_priority": [
        (1, "low", "Low", "#DDFFDD", 4, 1),
        (2, "normal", "Normal", "#FFFFF0", 3, 1),
        (3, "high", "High", "#FEE7E7", 2, 1),
        (4, "emergency", "Emergency", "#FEE7E7", 1, 1),
    ],
    "ost_event": EVENTS,
    "ost_thread_event": THREAD_EVENTS,
    "ost_thread": [(1, 1, "T", "2024-03-04 07:00:00"), (2, 2, "T", "2024-03-05 10:00:00")],
    "ost_thread_entry": [
        (
            1,
            1,
            0,
            1,
            "M",
            "<p>Bună ziua,</p><p>Nu pot emite factura: primesc eroarea „certificat expirat”.</p>",
            "html",
            "2024-03-04 07:00:00",
        ),
        (
            2,
            1,
            1,
            0,
            "N",
            "Intern: certificatul SSL al portalului a expirat aseară.",
            "text",
            "2024-03-04 07:30:00",
        ),
        (
            3,
            1,
            1,
            0,
            "R",
            "<p>Bună ziua, domnule Popescu,</p><p>Am reînnoit certificatul; încercați din nou.</p>",
            "html",
            "2024-03-04 08:00:00",
        ),
        (
            4,
            1,
            0,
            1,
            "M",
            "Acum funcționează, mulțumesc! Atașez confirmarea.",
            "text",
            "2024-03-04 09:00:00",
        ),
        (
            5,
            2,
            0,
            2,
            "M",
            "Dobrý den, prosím o změnu fakturační adresy na Plzeň, Americká 42.",
            "text",
            "2024-03-05 10:00:00",
        ),
        (
            6,
            2,
            2,
            0,
            "R",
            "Dobrý den, adresa byla změněna. Požadavek uzavírám.",
            "text",
            "2024-03-06 14:55:00",
        ),
    ],
    "ost_file": [
        (1, "D", "application/pdf", len(CONFIRMATION), "aQ3xZ", "confirmare.pdf"),
        (2, "F", "application/pdf", len(CONTRACT), CONTRACT_KEY, "smlouva.pdf"),
    ],
    "ost_file_chunk": [
        (1, 0, CONFIRMATION[: len(CONFIRMATION) // 2]),
        (1, 1, CONFIRMATION[len(CONFIRMATION) // 2 :]),
    ],
    "ost_attachment": [(1, 4, "H", 1, None, 0), (2, 5, "H", 2, "smlouva.pdf", 0)],
}


def root() -> pymysql.connections.Connection:
    return pymysql.connect(host=HOST, port=PORT, user="root", password="", charset="utf8mb4")


@contextmanager
def osticket_database() -> Iterator[str]:
    """A throwaway database with the rows above; its URL. Dropped afterwards."""
    name = f"osticket_{uuid.uuid4().hex[:12]}"
    connection = root()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
            cursor.execute(f"USE {name}")
            for statement in filter(str.strip, SCHEMA.split(";")):
                cursor.execute(statement)
            for table, rows in ROWS.items():
                marks = ", ".join(["%s"] * len(rows[0]))
                insert = f"INSERT INTO {table} VALUES ({marks})"  # noqa: S608 (our own tables)
                cursor.executemany(insert, rows)
        connection.commit()
        yield f"mysql://root@{HOST}:{PORT}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.close()
