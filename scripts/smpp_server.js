#!/usr/bin/env node
// A loopback SMPP 3.4 server (SMSC) for invite-sms's tests and benchmark, on the npm `smpp`
// package (pinned in scripts/package.json; `npm ci` in scripts/ installs it).
//
//   node scripts/smpp_server.js --port 2775 --dir /tmp/smpp [--password secret] [--exit-with-parent]
//
// - Binds (transmitter, receiver, transceiver) with any system id and the given password
//   (default "secret"); a wrong password gets ESME_RINVPASWD (0x0E) and the link is closed.
// - Answers enquire_link and unbind.
// - Records every submit_sm as one JSON line in DIR/<destination_addr>.jsonl, written before the
//   response is sent, so whatever a successful submit delivered is already there; files are
//   named by destination so parallel tests never read each other's.
// - Answers submit_sm by the destination's prefix (digits, without '+'):
//     79990…  ESME_RTHROTTLED (0x58)        79991…  ESME_RINVDSTADR (0x0B)
//     79992…  OK, receipt stat:UNDELIV      79993…  OK, receipt as text only (no TLVs)
//     anything else: OK with a message id, receipt stat:DELIVRD
//   Receipts (deliver_sm, esm_class 0x04, text `id:… stat:… err:…` plus receipted_message_id
//   and message_state TLVs) go to transceiver and receiver sessions when registered_delivery
//   asks for one.
"use strict";

const fs = require("fs");
const path = require("path");
const smpp = require("smpp");
const defs = require("smpp/lib/defs");

// Keep short_message and message_payload as the raw octets the client sent: the tests check
// the exact encoding, so the server must not decode (or re-encode) them.
for (const command of ["submit_sm", "deliver_sm"]) {
  delete defs.commands[command].params.short_message.filter;
}
delete defs.tlvs.message_payload.filter;

const ESME_ROK = 0x00;
const ESME_RINVBNDSTS = 0x04;
const ESME_RINVDSTADR = 0x0b;
const ESME_RINVPASWD = 0x0e;
const ESME_RTHROTTLED = 0x58;

function parseArgs(argv) {
  const args = { host: "127.0.0.1", password: "secret", exitWithParent: false };
  for (let i = 2; i < argv.length; i++) {
    switch (argv[i]) {
      case "--host": args.host = argv[++i]; break;
      case "--port": args.port = Number(argv[++i]); break;
      case "--dir": args.dir = argv[++i]; break;
      case "--password": args.password = argv[++i]; break;
      case "--exit-with-parent": args.exitWithParent = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!args.port || !args.dir) throw new Error("--port and --dir are required");
  return args;
}

const args = parseArgs(process.argv);
fs.mkdirSync(args.dir, { recursive: true });
let counter = 0;

function hex(buffer) {
  return Buffer.isBuffer(buffer) ? buffer.toString("hex") : null;
}

function smppDate(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

function safeName(addr) {
  return String(addr).replace(/[^0-9A-Za-z+_-]/g, "_");
}

function record(session, pdu, messageId, status) {
  const line = JSON.stringify({
    bind: session.bindKind,
    system_id: session.systemId,
    system_type: session.systemType,
    source_addr: pdu.source_addr,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    destination_addr: pdu.destination_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    esm_class: pdu.esm_class,
    registered_delivery: pdu.registered_delivery,
    data_coding: pdu.data_coding,
    short_message: hex(pdu.short_message) || "",
    message_payload: hex(pdu.message_payload),
    command_status: status,
    message_id: messageId,
  });
  fs.appendFileSync(path.join(args.dir, `${safeName(pdu.destination_addr)}.jsonl`), line + "\n");
}

function sendReceipt(session, pdu, messageId, stat, withTlvs) {
  const now = smppDate(new Date());
  const err = stat === "DELIVRD" ? "000" : "001";
  const dlvrd = stat === "DELIVRD" ? "001" : "000";
  const text = `id:${messageId} sub:001 dlvrd:${dlvrd} submit date:${now} done date:${now} ` +
    `stat:${stat} err:${err} text:`;
  const receipt = {
    source_addr_ton: pdu.dest_addr_ton,
    source_addr_npi: pdu.dest_addr_npi,
    source_addr: pdu.destination_addr,
    dest_addr_ton: pdu.source_addr_ton,
    dest_addr_npi: pdu.source_addr_npi,
    destination_addr: pdu.source_addr,
    esm_class: 0x04, // MC delivery receipt
    data_coding: 0x00,
    short_message: Buffer.from(text, "latin1"),
  };
  if (withTlvs) {
    receipt.receipted_message_id = messageId;
    receipt.message_state = stat === "DELIVRD" ? 2 : 5; // DELIVERED : UNDELIVERABLE
  }
  session.deliver_sm(receipt);
}

function onSubmit(session, pdu) {
  if (!session.bindKind || session.bindKind === "receiver") {
    session.send(pdu.response({ command_status: ESME_RINVBNDSTS }));
    return;
  }
  const dest = String(pdu.destination_addr || "");
  let status = ESME_ROK;
  if (dest.startsWith("79990")) status = ESME_RTHROTTLED;
  else if (dest.startsWith("79991")) status = ESME_RINVDSTADR;
  const messageId = status === ESME_ROK ? `${process.pid.toString(16)}${(++counter).toString(16).padStart(8, "0")}` : "";
  record(session, pdu, messageId, status);
  session.send(pdu.response({ command_status: status, message_id: messageId }));
  const wantsReceipt = (pdu.registered_delivery & 0x03) !== 0;
  if (status === ESME_ROK && wantsReceipt && session.bindKind === "transceiver") {
    const stat = dest.startsWith("79992") ? "UNDELIV" : "DELIVRD";
    // Sent after the response, as an SMSC does.
    setImmediate(() => sendReceipt(session, pdu, messageId, stat, !dest.startsWith("79993")));
  }
}

const server = smpp.createServer((session) => {
  // Responses go out at once, as an SMS centre's should: without it, the last response of
  // a burst waits for the client's delayed ACK (Nagle, about 40 ms), which a client that
  // pauses between batches (the dispatcher) pays once per batch.
  session.socket.setNoDelay(true);
  session.on("error", () => session.destroy());
  for (const kind of ["transmitter", "receiver", "transceiver"]) {
    session.on(`bind_${kind}`, (pdu) => {
      if (pdu.password !== args.password) {
        session.send(pdu.response({ command_status: ESME_RINVPASWD }));
        session.close();
        return;
      }
      session.bindKind = kind;
      session.systemId = pdu.system_id;
      session.systemType = pdu.system_type;
      session.send(pdu.response({ system_id: "invite-smsc" }));
    });
  }
  session.on("enquire_link", (pdu) => session.send(pdu.response()));
  session.on("unbind", (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on("submit_sm", (pdu) => onSubmit(session, pdu));
  session.on("deliver_sm_resp", () => {});
});

server.on("error", (e) => {
  console.error(`smpp server: ${e.message}`);
  process.exit(1);
});

server.listen(args.port, args.host, () => {
  console.log(`listening on ${args.host}:${args.port}, records in ${args.dir}`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (args.exitWithParent) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500);
}
