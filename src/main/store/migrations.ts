// Schema migrations, applied in order. PRAGMA user_version holds the number of migrations applied.
// Append new migrations at the end; never edit one that has shipped (old data files were built with it).
import type Database from 'better-sqlite3'
import { LabError } from '../../shared/errors'

export interface Migration {
  /** What the migration does, in a few words (shown if it fails). */
  name: string
  up(db: Database.Database): void
}

export const migrations: readonly Migration[] = [
  {
    name: 'create devices, runs, candidates, measurements, lookup tables, jobs and checkpoints',
    up(db) {
      db.exec(`
        CREATE TABLE devices (
          serial        TEXT PRIMARY KEY,
          kind          TEXT NOT NULL,
          label         TEXT NOT NULL,
          card          TEXT NOT NULL,          -- DeviceInfo JSON
          first_seen_at INTEGER NOT NULL,
          last_seen_at  INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE runs (
          id            TEXT PRIMARY KEY,
          kind          TEXT NOT NULL,
          name          TEXT NOT NULL,
          device_serial TEXT,
          status        TEXT NOT NULL,
          settings      TEXT NOT NULL,          -- JSON
          figures       TEXT NOT NULL,          -- JSON object of numbers
          tags          TEXT NOT NULL,          -- JSON array of strings
          created_at    INTEGER NOT NULL,
          finished_at   INTEGER,
          deleted_at    INTEGER                 -- set by an undo-able delete
        ) STRICT;
        CREATE INDEX runs_by_kind ON runs (kind, created_at);

        CREATE TABLE candidates (
          id                    TEXT PRIMARY KEY,
          run_id                TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          name                  TEXT NOT NULL,
          architecture          TEXT NOT NULL,  -- JSON
          precision             TEXT,           -- JSON (per-layer bits), null when not quantized
          accuracy              REAL,
          size_bytes            INTEGER NOT NULL,
          macs                  INTEGER NOT NULL,
          predicted_latency_ms  REAL,
          predicted_energy_mj   REAL,
          tflite                BLOB,
          tflite_path           TEXT,
          created_at            INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX candidates_by_run ON candidates (run_id, created_at);

        CREATE TABLE measurements (
          id              TEXT PRIMARY KEY,
          candidate_id    TEXT REFERENCES candidates (id) ON DELETE SET NULL,
          run_id          TEXT REFERENCES runs (id) ON DELETE SET NULL,
          device_serial   TEXT NOT NULL,
          model_sha256    TEXT NOT NULL,
          settings        TEXT NOT NULL,        -- BenchmarkSettings JSON
          measurement     TEXT NOT NULL,        -- Measurement JSON
          latency_mean_ms REAL NOT NULL,
          energy_mj       REAL,
          measured_at     INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX measurements_by_model ON measurements (device_serial, model_sha256, measured_at);
        CREATE INDEX measurements_by_candidate ON measurements (candidate_id);
        CREATE INDEX measurements_by_run ON measurements (run_id);

        CREATE TABLE lookup_tables (
          id            TEXT PRIMARY KEY,
          device_serial TEXT NOT NULL,
          space_name    TEXT NOT NULL,
          settings      TEXT NOT NULL,          -- JSON
          entries       TEXT NOT NULL,          -- JSON
          "check"       TEXT,                   -- JSON: predicted-vs-measured check, null until run
          created_at    INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX lookup_tables_by_device ON lookup_tables (device_serial, space_name, created_at);

        CREATE TABLE jobs (
          id          TEXT PRIMARY KEY,
          kind        TEXT NOT NULL,
          title       TEXT NOT NULL,
          queue       TEXT NOT NULL,
          state       TEXT NOT NULL,
          params      TEXT NOT NULL,            -- JSON
          progress    TEXT,                     -- JobProgress JSON
          result      TEXT,                     -- JSON
          error       TEXT,
          run_id      TEXT REFERENCES runs (id) ON DELETE SET NULL,
          created_at  INTEGER NOT NULL,
          started_at  INTEGER,
          finished_at INTEGER
        ) STRICT;
        CREATE INDEX jobs_by_state ON jobs (state, created_at);

        CREATE TABLE job_checkpoints (
          job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
          seq      INTEGER NOT NULL,
          encoding TEXT NOT NULL,               -- 'json' or 'bytes'
          data     BLOB NOT NULL,
          saved_at INTEGER NOT NULL,
          PRIMARY KEY (job_id, seq)
        ) STRICT;
      `)
    }
  }
]

/** Bring the schema up to date; each migration runs in its own transaction with its version bump. */
export function migrate(db: Database.Database, file: string, list: readonly Migration[] = migrations): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > list.length) {
    throw new LabError(
      'conflict',
      `The data file ${file} was written by a newer version of Proxyless Lab (schema version ${current}; this version knows up to ${list.length}). ` +
        'Update Proxyless Lab, or start it with --data-dir pointing at another folder.'
    )
  }
  for (let version = current; version < list.length; version++) {
    const migration = list[version]
    const apply = db.transaction(() => {
      migration.up(db)
      db.pragma(`user_version = ${version + 1}`)
    })
    try {
      apply.immediate()
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      throw new LabError('internal', `Could not upgrade the data file ${file} to schema version ${version + 1} (${migration.name}): ${why}`)
    }
  }
}
