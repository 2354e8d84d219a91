"""Builds the replay scripts of `replay-instructions` from a PostgreSQL statement log.

Reads the log of one small e2e accept run (statements logged with their parameters) and
writes, into the work directory:

- `undo.sql`: a transaction that undoes the last logged signup (its member, its audit event,
  the invitation's signup), then rolls back: what every replay does first;
- `prepare_*.sql` and `execute_*.sql` for the library's commit call, the library's signup
  read and the hand-written baseline's signup statement, each prepared once and executed
  inside the undoing transaction, with the logged parameters as literals.

Usage, in two passes (`replay-instructions` runs both):
  extract.py LOG OFFSET WORKDIR: the undoing and the commit call, read from byte OFFSET of
    LOG on; prints the signup's invitation id and the commit's instant (a SQL literal);
  extract.py reads LOG OFFSET WORKDIR HASH NOW: the read and the baseline statement, given
    the hex hash of that invitation's link (the caller looks it up) and that instant.
"""
import re
import sys


def read_log(log, offset):
    """The log's lines from byte `offset` on."""
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        return f.read().split("\n")


def last_statement(lines, marker):
    """The text of the last logged prepared statement containing `marker` (or any of a
    tuple of them), and its parameters as SQL literals by number."""
    markers = (marker,) if isinstance(marker, str) else marker
    found = [i for i, l in enumerate(lines)
             if "execute sqlx_s_" in l and any(m in l for m in markers)]
    if not found:
        sys.exit(f"no logged statement containing {marker!r}")
    i = found[-1]
    text = [lines[i].split(": ", 2)[2].split(": ", 1)[1]]
    j = i + 1
    while "DETAIL:  parameters:" not in lines[j]:
        text.append(lines[j])
        j += 1
    values = {}
    for m in re.finditer(r"\$(\d+) = ('(?:[^']|'')*'|NULL)",
                         lines[j].split("parameters: ", 1)[1]):
        values[int(m.group(1))] = m.group(2)
    return " ".join(text), values


def write(work, name, text):
    with open(f"{work}/{name}", "w", encoding="utf-8") as f:
        f.write(text)


def main():
    log, offset, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    commit, values = last_statement(read_log(log, offset), "apply_commit")
    if "apply_commit_rows(" in commit:
        # Each table's rows as one array of its composite type (migration `commit_rows`):
        # the first field of a row is its id.
        first_id = lambda n: re.search(r"\(([0-9a-f-]{36}),", values[n]).group(1)
        invitation, member, audit = first_id(6), first_id(7), first_id(11)
        types = ("uuid,boolean,boolean,timestamptz,boolean[]," + ",".join(
            f"invite.{t}_row[]" for t in
            ("invitation", "member", "link", "finish", "message", "audit")) +
            ",bigint,bigint").split(",")
    else:
        invitation = values[6].strip("'{}")
        member = values[34].strip("'{}")
        audit = values[72].strip("'{}")
        # `apply_commit` with one array per column: its 82 parameters' types, in the order
        # of `apply_commit_call!` as it was.
        types = ("uuid,boolean,boolean,timestamptz,boolean[],uuid[],uuid[]," + "text[]," * 8
                 + "timestamptz[],timestamptz[],bigint[],timestamptz[],timestamptz[],"
                 "boolean[],bigint[],text[],timestamptz[],uuid[],timestamptz[],timestamptz[],"
                 "text[],timestamptz[],timestamptz[],text[],bigint[],text[],uuid[],uuid[],"
                 + "text[]," * 5
                 + "uuid[],timestamptz[],timestamptz[],bigint[],bytea[],uuid[],bigint[],"
                 "timestamptz[],uuid[],text[],timestamptz[],timestamptz[],text[],uuid[],text[],"
                 "bigint[],uuid[],uuid[],uuid[],text[],bigint[],date[],timestamptz[],"
                 "timestamptz[],bigint[],text[],text[],timestamptz[],text[],uuid[],timestamptz[],"
                 "uuid[],uuid[],uuid[],timestamptz[]," + "text[]," * 5 + "bigint,bigint"
                 ).split(",")
    undo = (
        "BEGIN;\n"
        f"UPDATE invite.invitations SET signed_up_at = NULL, member_id = NULL, version = 1 "
        f"WHERE id = '{invitation}';\n"
        f"DELETE FROM invite.audit_events WHERE id = '{audit}';\n"
        f"DELETE FROM invite.members WHERE id = '{member}';\n"
    )
    write(work, "undo.sql", undo + "ROLLBACK;\n")
    print(invitation)

    if len(values) != len(types):
        sys.exit(f"the commit call has {len(values)} parameters, expected {len(types)}")
    write(work, "prepare_commit.sql", f"PREPARE c({','.join(types)}) AS {commit};\n")
    args = ", ".join(values[n] for n in range(1, len(types) + 1))
    write(work, "execute_commit.sql", undo + f"EXECUTE c({args});\nROLLBACK;\n")
    # The same parameters given to a statement that does nothing with them: what parsing
    # them as literals costs, to take away from the call's figure.
    write(work, "prepare_params.sql", f"PREPARE c({','.join(types)}) AS SELECT 1;\n")
    write(work, "execute_params.sql", undo + f"EXECUTE c({args});\nROLLBACK;\n")
    print(values[4])  # the commit's instant, for the reads


def reads():
    """Second pass (`extract.py reads LOG OFFSET WORKDIR HASH NOW`): the signup read and the
    baseline statement, on the invitation whose link hash the caller looked up."""
    log, offset, work, link, now = sys.argv[2:7]
    lines = read_log(log, int(offset))
    undo = open(f"{work}/undo.sql", encoding="utf-8").read().replace("ROLLBACK;\n", "")
    # The signup read as one row, or (a bench built before) as a `UNION ALL` of records.
    for name, marker in (("read", ("SELECT l.hash, l.invitation_id, l.generation",
                                   "WITH l AS (SELECT k.hash")),
                         ("baseline", "WITH k AS (SELECT invitation_id")):
        text, _ = last_statement(lines, marker)
        write(work, f"prepare_{name}.sql",
              f"PREPARE c(bytea, timestamptz) AS {text};\n")
        write(work, f"execute_{name}.sql",
              undo + f"EXECUTE c('\\x{link}', {now});\nROLLBACK;\n")


if __name__ == "__main__":
    if sys.argv[1] == "reads":
        reads()
    else:
        main()
