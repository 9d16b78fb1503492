"""Compares two dojang SQLite stores with Python's own sqlite3 module: the same store tables,
each with the same rows in the same order (the order SQLite keeps them in). Tables of the
migrator and of a backup file (backup_*) are not the store's and are skipped.

usage: compare_stores.py A.sqlite3 B.sqlite3   (exit 1, saying where, when they differ)
"""
import sqlite3
import sys


def store_tables(db):
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [n for (n,) in rows
            if not (n.startswith("sqlite_") or n.startswith("_sqlx") or n.startswith("backup_"))]


def main(a_path, b_path):
    a, b = sqlite3.connect(a_path), sqlite3.connect(b_path)
    ta, tb = store_tables(a), store_tables(b)
    if ta != tb:
        print(f"different tables: {sorted(set(ta) ^ set(tb))}")
        return 1
    total = 0
    for t in ta:
        ra = a.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
        rb = b.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
        if ra != rb:
            print(f"table {t}: {len(ra)} rows against {len(rb)}, or rows differ")
            return 1
        total += len(ra)
    print(f"same: {len(ta)} tables, {total} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
