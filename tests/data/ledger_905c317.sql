BEGIN TRANSACTION;
CREATE TABLE activities (
    key TEXT NOT NULL, seq INTEGER NOT NULL, unit_id TEXT,
    title TEXT, start_date TEXT, end_date TEXT, location TEXT, organizer TEXT, format TEXT,
    participants INTEGER, participants_offline INTEGER, participants_online INTEGER,
    source TEXT, raw TEXT, flags TEXT,
    PRIMARY KEY (key, seq)
);
CREATE TABLE audit (             -- who did what, when: every admin action (command line or console)
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT, detail TEXT, outcome TEXT, ok INTEGER NOT NULL
);
INSERT INTO "audit" VALUES(1,'2026-12-06T14:49:33.587796+00:00','命令行:root','dismiss','<old-3@example.org>','[]','dismissed',1);
CREATE TABLE files (
    key TEXT NOT NULL, seq INTEGER NOT NULL,
    name TEXT, kind TEXT, status TEXT, error TEXT, activities INTEGER,
    PRIMARY KEY (key, seq)
);
CREATE TABLE messages (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    message_id TEXT,
    arrival_at TEXT,
    first_seen_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | done | parked
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome TEXT, kind TEXT, reason TEXT,
    unit_id TEXT, candidates TEXT,
    sender TEXT, sender_name TEXT, subject TEXT,
    received_at TEXT, late INTEGER,
    carries_list INTEGER, carries_narrative INTEGER,
    narrative TEXT, fixes TEXT, notes TEXT, excerpt TEXT,
    processed_at TEXT,
    standing TEXT                               -- own | forward | unverified (pipeline/judge/decide.py)
);
INSERT INTO "messages" VALUES('<old-0@example.org>','0000000000000000000000000000000000000000000000000000000000000000','<old-0@example.org>','2025-09-15T02:00:00+00:00','2026-12-06T14:49:33.587161+00:00','pending',2,'parser bug',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'2025-09-15T02:00:00+00:00',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO "messages" VALUES('<old-1@example.org>','0000000000000000000000000000000000000000000000000000000000000001','<old-1@example.org>','2025-09-15T03:00:00+00:00','2026-12-06T14:49:33.587161+00:00','pending',1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'2025-09-15T03:00:00+00:00',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO "messages" VALUES('<old-2@example.org>','0000000000000000000000000000000000000000000000000000000000000002','<old-2@example.org>','2025-09-15T04:00:00+00:00','2026-12-06T14:49:33.587161+00:00','pending',1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'2025-09-15T04:00:00+00:00',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO "messages" VALUES('<old-3@example.org>','0000000000000000000000000000000000000000000000000000000000000003','<old-3@example.org>','2025-09-15T05:00:00+00:00','2026-12-06T14:49:33.587161+00:00','done',0,NULL,'needs_review','question',NULL,NULL,'[]','a@126.com',NULL,'请问','2025-09-15T12:00:00+00:00',NULL,NULL,NULL,NULL,NULL,'[]',NULL,'2025-09-15T12:00:01+00:00',NULL);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, message_key TEXT,
    recipients TEXT NOT NULL, subject TEXT, raw BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | sending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT, last_error TEXT,
    created_at TEXT NOT NULL, sent_at TEXT
);
INSERT INTO "outbox" VALUES(1,'ack:<old-3@example.org>','ack','<old-3@example.org>','["a@126.com"]','回执',X'5375626A6563743A20780D0A0D0A780D0A','pending',0,NULL,NULL,'2026-12-06T14:49:33.587642+00:00',NULL);
CREATE TABLE review_decisions (  -- admin decisions about one message (dismiss)
    key TEXT PRIMARY KEY, action TEXT NOT NULL, reason TEXT, decided_at TEXT NOT NULL
);
INSERT INTO "review_decisions" VALUES('<old-3@example.org>','dismiss','已电话答复','2026-12-06T14:49:33.587575+00:00');
CREATE TABLE sender_units (      -- admin decisions: this address writes for that unit
    address TEXT PRIMARY KEY, unit_id TEXT NOT NULL, message_key TEXT, decided_at TEXT NOT NULL
);
CREATE TABLE sources (
    mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES messages(key),
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
INSERT INTO "sources" VALUES('maildir:/in',1,'0','<old-0@example.org>');
INSERT INTO "sources" VALUES('maildir:/in',1,'1','<old-1@example.org>');
INSERT INTO "sources" VALUES('maildir:/in',1,'2','<old-2@example.org>');
INSERT INTO "sources" VALUES('maildir:/in',1,'3','<old-3@example.org>');
CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT);
INSERT INTO "state" VALUES('failures:<old-0@example.org>','1');
INSERT INTO "state" VALUES('in_process','<old-1@example.org>');
INSERT INTO "state" VALUES('last_poll','2025-09-15T12:05:00+00:00');
INSERT INTO "state" VALUES('last_poll_report','4 fetched, 4 new');
INSERT INTO "state" VALUES('last_digest_day','2025-09-15');
INSERT INTO "state" VALUES('last_digest_at','2025-09-15T00:00:00+00:00');
INSERT INTO "state" VALUES('smtp_outage','2 2025-09-15T12:30:00+00:00');
CREATE INDEX messages_state ON messages(state);
CREATE INDEX messages_unit ON messages(unit_id);
CREATE INDEX outbox_state ON outbox(state, next_try);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('outbox',1);
INSERT INTO "sqlite_sequence" VALUES('audit',1);
COMMIT;
