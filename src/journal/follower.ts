/**
 * The journal follower of the daemon: runs `journalctl --directory=<dir> -o export --all --follow`
 * (argument array, never a shell), parses its stdout with the streaming export parser, and keeps
 * the position as a journal cursor.
 *
 * - Position: the cursor of the last complete record parsed (delivered, prefiltered or skipped) is
 *   kept in memory and persisted every `flushMs` (default 1 s) of reading or as soon as
 *   `flushEntries` (default 1000) records were read since the last save (checked after each read
 *   from journalctl's pipe, at most 64 KiB), and on stop(). With a `checkpoint` (the daemon's
 *   event pipeline) the consumer's state is written WITH that cursor in one file
 *   (`<stateDir>/journal.state`, atomic), then the cursor alone to `journal.cursor`; start()
 *   restores that state and resumes after its cursor, so the restored state never counts an entry
 *   twice. After a crash (SIGKILL, no stop()) the records read since the last save are delivered
 *   again to the restored state: at most flushEntries plus one pipe read, or one flushMs of reading
 *   (docs/journal.md gives the measured figure).
 * - Start: after the persisted cursor when there is one and it
 *   is younger than `maxResumeAgeUs` (default 24 h); otherwise a bounded lookback: the newest boot
 *   (`--boot`) and at most `lookbackUs` (default 1 h) back (`--since`).
 * - Restart: when journalctl exits or fails to start, it is restarted after an exponential backoff
 *   (250 ms doubling to 30 s; reset when the process had run for a minute), resuming after the
 *   in-memory cursor, so nothing is lost or delivered twice. A record cut off by the exit is
 *   dropped silently and read again by the next process.
 *   A journalctl that is alive but silent is NOT restarted: a quiet journal is normal and
 *   journalctl gives no heartbeat to tell "stuck" from "quiet".
 * - Directory: one --directory (journalctl uses the last one given), chosen by chooseDirectory().
 *   While a fallback directory is followed (the volatile /run/log/journal early at boot), the
 *   follower moves to the preferred one as soon as it holds journal files (journald flushed to
 *   /var/log/journal), resuming by cursor; this is not counted as a restart. The cursor names the
 *   /run copy, so journalctl resumes at the /var copy of the last entry: that copy is recognised
 *   (same time, boot, pid, unit, message) and dropped.
 *   None exists yet, or the followed one disappears: health down with the reason, retried with the
 *   same backoff, never a crash.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import type { Clock } from '../core/clock.js';
import type { SourceHealth } from '../core/contracts.js';
import type { JournalEntry } from './entry.js';
import { createCursorStore, createStateStore, cursorRealtimeUs } from './cursor-store.js';
import { createExportParser } from './export-parser.js';
import { chooseDirectory, fsProbe, journalctlArgs, journalctlCommand, readJournalDirectory, type DirProbe } from './journalctl.js';
import type { JournalSink, ParserOptions, StreamParser } from './sink.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface FollowerDeps {
  /** journalctl binary; default 'journalctl' from PATH */
  journalctl?: string;
  /** run journalctl under this stdbuf (larger stdout writes, see journalctlCommand); undefined: from PATH; null: never */
  stdbuf?: string | null;
  /** candidate directories in order of preference (see journalDirectories()) */
  directories: string[];
  /** where journal.cursor lives; null: cursor kept in memory only */
  stateDir: string | null;
  clock: Clock;
  spawn?: typeof nodeSpawn;
  /** first start without a cursor: how far back to read; default 1 h */
  lookbackUs?: number;
  /**
   * first start without a cursor: only the newest boot; default true. (journalctl ≥ 250 adds
   * --boot to every --follow without --merge anyway: this flag only matters for older ones.)
   */
  boot?: boolean;
  /** a persisted cursor older than this is not resumed (lookback instead); default 24 h */
  maxResumeAgeUs?: number;
  sink: JournalSink;
  /** parser options: wantMessage prefilter, maxFieldBytes */
  parser?: ParserOptions;
  onHealth?: (h: SourceHealth) => void;
  log?: (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  flushMs?: number;
  flushEntries?: number;
  probe?: DirProbe;
  /** passed to journalctl instead of FOLLOW_MATCHES (null: everything) */
  matches?: readonly string[] | null;
  /**
   * The consumer's state saved with the cursor and restored at start (see Position above).
   * import() throws when the state is unusable (an error with a `reason`); the follower then
   * starts empty, reports it through onRestoreProblem and logs it; it never stops.
   */
  checkpoint?: {
    export(): unknown;
    /** JSON.stringify(export()), when the consumer can make it more cheaply (used instead of export) */
    exportJson?(): string;
    import(state: unknown): void;
    onRestoreProblem?(reason: string, detail: string): void;
  };
  /** stop(): SIGKILL journalctl this long after SIGTERM (default 800 ms); stop() returns at most ~200 ms later */
  killAfterMs?: number;
  /**
   * Stall check period (default 30 s; 0: off). A journalctl that sent nothing for a whole period
   * while the journal changed is asked about (a one-shot `journalctl --lines=1` with the same
   * matches); if the newest matching entry is not the last one received and still nothing arrives
   * during the next period, the follower is stuck and is killed and restarted from its cursor.
   */
  stallCheckMs?: number;
}

export interface JournalFollower {
  start(): void;
  /** stops journalctl and persists the cursor */
  stop(): Promise<void>;
  health(): SourceHealth;
  /** the in-memory cursor (last complete record) */
  cursor(): string | null;
  /** the journalctl child's pid, or null (for tests and diagnostics) */
  pid(): number | null;
}

const HOUR_US = 3_600_000_000;

/** The same journal record, possibly read from another file (another cursor). */
function sameEntry(a: JournalEntry, b: JournalEntry): boolean {
  return a.realtimeUs === b.realtimeUs && a.bootId === b.bootId && a.pid === b.pid && a.unit === b.unit && a.message === b.message;
}

export function createJournalFollower(deps: FollowerDeps): JournalFollower {
  const spawn = deps.spawn ?? nodeSpawn;
  const bin = deps.journalctl ?? 'journalctl';
  const clock = deps.clock;
  const log = deps.log ?? (() => undefined);
  const probe = deps.probe ?? fsProbe;
  const initialMs = deps.backoff?.initialMs ?? 250;
  const maxMs = deps.backoff?.maxMs ?? 30_000;
  const resetAfterMs = deps.backoff?.resetAfterMs ?? 60_000;
  const flushMs = deps.flushMs ?? 1000;
  const flushEntries = deps.flushEntries ?? 1000;
  const stallCheckMs = deps.stallCheckMs ?? 30_000;
  const store = createCursorStore(deps.stateDir);
  const stateStore = deps.checkpoint ? createStateStore(deps.stateDir) : null;
  const killAfterMs = deps.killAfterMs ?? 800;

  const h: SourceHealth = { up: false, mode: 'follow', restarts: 0, lastEntryAtUs: null, lastError: null };
  let started = false;
  let stopping = false;
  let child: ChildProcess | null = null;
  let childDir: string | null = null;
  let childStartedAt = 0;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let cursor: string | null = null;
  let savedCursor: string | null = null;
  let sinceUs = 0;
  let unsaved = 0;
  let lastSaveAt = 0;
  let lastSaveError: string | null = null;
  let stopWaiters: (() => void)[] = [];
  /** set while journalctl is being stopped to move to a preferred directory */
  let switchTo: string | null = null;
  // stall detection (see stallCheckMs)
  let stallTimer: NodeJS.Timeout | null = null;
  let bytesSinceCheck = 0;
  let journalSignature: string | null = null;
  /** cursor of a matching entry the probe saw that journalctl had not sent yet */
  let unseenCursor: string | null = null;
  let probing = false;
  let childLowerUs = 0;
  /** why the current journalctl is being killed, for the restart's reason */
  let killedFor: string | null = null;

  // a consumer that throws must not kill the daemon nor desynchronise the parser: log (bounded) and go on
  let consumerErrors = 0;
  function consumerFailed(err: unknown): void {
    consumerErrors++;
    if (consumerErrors <= 10 || consumerErrors % 10_000 === 0) {
      log('error', 'journal entry consumer failed', { error: err instanceof Error ? err.message : String(err), count: consumerErrors });
    }
  }
  /** the last entry delivered, and whether the next one is the first of a new journalctl */
  let lastEntry: JournalEntry | null = null;
  let firstOfProcess = false;
  const sink: JournalSink = {
    entry(e) {
      if (firstOfProcess) {
        firstOfProcess = false;
        // the resume cursor was not found (journald copied the entry to another file, e.g. the
        // flush from /run to /var): journalctl resumed at the copy of the last entry we delivered
        if (lastEntry !== null && sameEntry(lastEntry, e)) {
          log('debug', 'dropped the copy of the last delivered entry after a resume', { cursor: e.cursor });
          return;
        }
      }
      lastEntry = e;
      h.lastEntryAtUs = e.realtimeUs;
      try {
        deps.sink.entry(e);
      } catch (err) {
        consumerFailed(err);
      }
    },
    skip(reason, detail) {
      try {
        deps.sink.skip(reason, detail);
      } catch (err) {
        consumerFailed(err);
      }
    },
    filtered(unit, identifier, realtimeUs) {
      h.lastEntryAtUs = realtimeUs;
      try {
        deps.sink.filtered?.(unit, identifier, realtimeUs);
      } catch (err) {
        consumerFailed(err);
      }
    },
  };

  function emit(): void {
    deps.onHealth?.({ ...h });
  }

  function setUp(): void {
    if (!h.up || h.lastError !== null) {
      h.up = true;
      h.lastError = null;
      emit();
    }
  }

  function setDown(reason: string): void {
    h.up = false;
    h.lastError = reason;
    emit();
  }

  let lastStateError: string | null = null;
  /** when journal.cursor was last written, and whether it is behind the checkpoint's cursor */
  let cursorFileAt = -Infinity;
  let cursorFileBehind = false;
  function writeCursorFile(c: string, sync: boolean): string | null {
    const err = store.save(c, { sync });
    if (err === null) {
      cursorFileAt = clock();
      cursorFileBehind = false;
    }
    return err;
  }

  function save(): void {
    if (cursor === null || cursor === savedCursor) return;
    let synced = false;
    if (stateStore !== null && deps.checkpoint) {
      let stateErr: string | null;
      try {
        const cp = deps.checkpoint;
        const at = new Date(clock()).toISOString();
        stateErr = cp.exportJson ? stateStore.saveJson(cursor, cp.exportJson(), at) : stateStore.save(cursor, cp.export(), at);
      } catch (e) {
        stateErr = `cannot export the state: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (stateErr !== null && stateErr !== lastStateError) log('warn', 'journal state not persisted; a restart resumes from the last state written', { error: stateErr });
      if (stateErr === null && lastStateError !== null) log('info', 'journal state persisted again', { path: stateStore.path });
      lastStateError = stateErr;
      synced = stateErr === null;
    }
    // the checkpoint (fsynced) carries the same cursor: the cursor-only copy needs no fsync of its
    // own, and is rewritten at most once per flushMs (a catch-up checkpoints every flushEntries
    // records; journal.cursor is read only when the checkpoint cannot be): tick() and stop() bring it up to date
    let err: string | null = null;
    if (synced && clock() - cursorFileAt < flushMs) cursorFileBehind = true;
    else err = writeCursorFile(cursor, !synced);
    lastSaveAt = clock();
    unsaved = 0;
    if (err !== null) {
      // logged once per distinct error, not on every flush
      if (err !== lastSaveError) log('warn', 'journal cursor not persisted; keeping it in memory', { error: err });
      lastSaveError = err;
      return;
    }
    if (lastSaveError !== null) log('info', 'journal cursor persisted again', { path: store.path });
    lastSaveError = null;
    savedCursor = cursor;
  }

  function scheduleRetry(): void {
    if (stopping || retryTimer !== null) return;
    const delay = Math.min(initialMs * 2 ** Math.min(attempt, 30), maxMs);
    attempt++;
    log('debug', 'journal source retry scheduled', { delayMs: delay });
    retryTimer = setTimeout(() => {
      retryTimer = null;
      launch();
    }, delay);
  }

  function onChunk(parser: StreamParser, before: number): void {
    const c = parser.lastCursor();
    if (c !== null) cursor = c;
    unsaved += parser.stats().records - before;
    if (unsaved === 0) return;
    // every flushEntries records (so a crash repeats at most that many plus one read), else every flushMs
    if (unsaved >= flushEntries || clock() - lastSaveAt >= flushMs) save();
  }

  function launch(): void {
    if (stopping) return;
    const dir = chooseDirectory(deps.directories, probe);
    if (dir === null) {
      setDown(`no journal directory (${deps.directories.join(', ')}); retrying`);
      scheduleRetry();
      return;
    }
    const usedCursor = cursor;
    const args = journalctlArgs({
      directory: dir,
      follow: true,
      cursor: usedCursor,
      sinceUs: usedCursor ? null : sinceUs,
      boot: usedCursor ? false : (deps.boot ?? true),
      matches: deps.matches,
    });
    const parser = createExportParser(sink, { ...deps.parser, resumeCursor: usedCursor });
    firstOfProcess = usedCursor !== null;
    const cmd = journalctlCommand(bin, args, { stdbuf: deps.stdbuf });
    let proc: ChildProcess;
    try {
      proc = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      setDown(`cannot start ${bin}: ${err instanceof Error ? err.message : String(err)}`);
      scheduleRetry();
      return;
    }
    child = proc;
    childDir = dir;
    childStartedAt = clock();
    // entries older than this are not this journalctl's to send (its --since, or the resume cursor)
    childLowerUs = usedCursor ? (cursorRealtimeUs(usedCursor) ?? 0) : sinceUs;
    let stderr = '';
    let finished = false;
    let spawnError: string | null = null;
    log('info', 'following the journal', { directory: dir, cursor: usedCursor, pid: proc.pid, stdbuf: cmd.buffered });
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (finished) return;
      bytesSinceCheck += chunk.length;
      const before = parser.stats().records;
      parser.push(chunk);
      onChunk(parser, before);
    });
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2048);
    });
    // a pipe error must not become an uncaught exception: the process' 'close' handles the restart
    proc.stdout?.on('error', (err) => log('warn', 'journalctl stdout error', { error: err.message }));
    proc.stderr?.on('error', () => undefined);
    proc.on('spawn', () => {
      if (child === proc) setUp();
    });
    proc.on('error', (err: NodeJS.ErrnoException) => {
      if (proc.pid !== undefined) {
        // e.g. a failed kill(): the process runs on, its 'close' drives the restart
        log('warn', 'journalctl process error', { error: err.message });
        return;
      }
      spawnError = `${bin}: ${err.code ?? err.message}`;
      // the process never started; 'close' may or may not follow: handle it once
      setImmediate(() => finish(null, null));
    });
    proc.on('close', (code, signal) => finish(code, signal));

    function finish(code: number | null, signal: NodeJS.Signals | null): void {
      if (finished) return;
      finished = true;
      if (child !== proc) return;
      child = null;
      childDir = null;
      // the partial record in `parser` is dropped: the next process resumes after `cursor`
      save();
      if (stopping) {
        const w = stopWaiters;
        stopWaiters = [];
        for (const f of w) f();
        return;
      }
      if (switchTo !== null) {
        // a deliberate move to a preferred directory: not a failure, no backoff
        switchTo = null;
        launch();
        return;
      }
      const ranMs = clock() - childStartedAt;
      if (ranMs >= resetAfterMs) attempt = 0;
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      const why = spawnError ?? killedFor ?? `journalctl exited (${signal ?? `status ${code}`})${lastLine ? `: ${lastLine}` : ''}`;
      killedFor = null;
      unseenCursor = null;
      if (usedCursor !== null && code !== 0 && parser.stats().records === 0 && /seek to cursor/i.test(stderr)) {
        log('warn', 'journal cursor rejected by journalctl; falling back to the lookback window', { cursor: usedCursor, stderr: lastLine });
        if (cursor === usedCursor) {
          cursor = null;
          // what the cursor's entry and everything before it produced is already counted: read from its time on
          const at = cursorRealtimeUs(usedCursor);
          if (at !== null && at > sinceUs && at <= clock() * 1000) sinceUs = at;
        }
      }
      h.restarts++;
      log('warn', 'journalctl stopped; restarting with backoff', { reason: why, restarts: h.restarts });
      setDown(why);
      scheduleRetry();
    }
  }

  function tick(): void {
    if (unsaved > 0 || (cursor !== null && cursor !== savedCursor)) save();
    if (cursorFileBehind && savedCursor !== null && clock() - cursorFileAt >= flushMs) writeCursorFile(savedCursor, false);
    // the followed directory disappeared: stop that journalctl, the restart path reports it
    if (child === null || childDir === null || switchTo !== null) return;
    if (!probe.isDir(childDir)) {
      log('warn', 'journal directory disappeared', { directory: childDir });
      child.kill('SIGTERM');
      return;
    }
    // following a fallback (e.g. /run/log/journal early at boot) while a preferred directory now
    // holds journal files (journald flushed to /var/log/journal): move there
    const rank = deps.directories.indexOf(childDir);
    if (rank > 0) {
      const best = chooseDirectory(deps.directories, probe);
      if (best !== null && deps.directories.indexOf(best) < rank && probe.hasJournalFiles(best)) {
        log('info', 'switching to the preferred journal directory', { from: childDir, to: best });
        switchTo = best;
        child.kill('SIGTERM');
      }
    }
  }

  /** The cursor of the newest entry journalctl would select now (one-shot, same directory and matches), or null. */
  function newestCursor(dir: string): Promise<string | null> {
    const none: JournalSink = { entry: () => undefined, skip: () => undefined };
    return readJournalDirectory(dir, none, { journalctl: bin, spawn, stdbuf: null, boot: true, lines: 1, matches: deps.matches, timeoutMs: 10_000 }).then(
      (r) => r.cursor,
      () => null,
    );
  }

  async function checkStall(): Promise<void> {
    const proc = child;
    const dir = childDir;
    const received = bytesSinceCheck;
    bytesSinceCheck = 0;
    if (proc === null || dir === null || switchTo !== null || probing || stopping) return;
    if (received > 0) {
      // alive. The next silent period probes once whatever the journal looks like: entries written
      // just before this check may not have been sent yet. (A probe costs journalctl < 10 ms.)
      unseenCursor = null;
      journalSignature = null;
      return;
    }
    if (unseenCursor !== null) {
      // a matching entry was in the journal a whole period ago and journalctl has sent nothing since
      const why = `journalctl stuck: sent nothing for ${stallCheckMs} ms while the journal holds a newer matching entry`;
      log('warn', 'journalctl is stuck; killing it to restart from the cursor', { pid: proc.pid, unseen: unseenCursor, cursor });
      killedFor = why;
      unseenCursor = null;
      proc.kill('SIGKILL'); // also ends a stopped (SIGSTOP) process
      return;
    }
    const sig = probe.signature ? probe.signature(dir) : null;
    if (sig !== null && sig === journalSignature) return; // nothing was written: silence is expected
    journalSignature = sig;
    log('debug', 'journal changed while journalctl was silent; asking for its newest entry', { directory: dir });
    probing = true;
    try {
      const newest = await newestCursor(dir);
      // still the same process, and still nothing received while the probe ran
      // (journalctl --lines=1 ignores --since, so the follower's lower bound is applied here)
      const newestUs = newest === null ? null : cursorRealtimeUs(newest);
      if (child === proc && bytesSinceCheck === 0 && newest !== null && newest !== cursor && newestUs !== null && newestUs >= childLowerUs) unseenCursor = newest;
    } finally {
      probing = false;
    }
  }

  return {
    start(): void {
      if (started) return;
      started = true;
      const nowUs = clock() * 1000;
      sinceUs = nowUs - (deps.lookbackUs ?? HOUR_US);
      let saved: string | null = null;
      if (stateStore !== null && deps.checkpoint) {
        const r = stateStore.load();
        const problem = (reason: string, detail: string): void => {
          log('warn', 'journal state not restored; starting with an empty event state', { reason, detail, path: stateStore.path });
          try {
            deps.checkpoint?.onRestoreProblem?.(reason, detail);
          } catch {
            // a counter that throws must not stop the start
          }
        };
        if (r.ok) {
          try {
            deps.checkpoint.import(r.state);
            saved = r.cursor;
            log('info', 'journal state restored', { path: stateStore.path, cursor: r.cursor, saved_at: r.savedAt });
          } catch (e) {
            const reason = typeof (e as { reason?: unknown }).reason === 'string' ? (e as { reason: string }).reason : 'corrupt';
            problem(reason, e instanceof Error ? e.message : String(e));
          }
        } else if (!r.missing) problem(r.reason, r.detail);
      }
      saved ??= store.load();
      if (saved !== null) {
        const at = cursorRealtimeUs(saved);
        if (at !== null && at < nowUs - (deps.maxResumeAgeUs ?? 24 * HOUR_US)) {
          log('info', 'persisted journal cursor is too old; reading the lookback window instead', { cursor: saved });
        } else {
          cursor = saved;
          savedCursor = saved;
        }
      }
      lastSaveAt = clock();
      flushTimer = setInterval(tick, flushMs);
      if (stallCheckMs > 0) {
        stallTimer = setInterval(() => {
          checkStall().catch((err: unknown) => log('warn', 'journal stall check failed', { error: err instanceof Error ? err.message : String(err) }));
        }, stallCheckMs);
        stallTimer.unref?.();
      }
      launch();
    },
    async stop(): Promise<void> {
      stopping = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      if (flushTimer !== null) clearInterval(flushTimer);
      flushTimer = null;
      if (stallTimer !== null) clearInterval(stallTimer);
      stallTimer = null;
      const proc = child;
      if (proc !== null) {
        // bounded: SIGTERM, SIGKILL after killAfterMs, then at most 200 ms more for the exit (a
        // process in uninterruptible sleep may not die at once): the daemon's stop fits in 2 s,
        // with room for the rest of the stop and a loaded machine
        const closed = new Promise<boolean>((resolve) => stopWaiters.push(() => resolve(true)));
        const timers: NodeJS.Timeout[] = [];
        const after = (ms: number): Promise<boolean> => new Promise((resolve) => timers.push(setTimeout(() => resolve(false), ms)));
        proc.kill('SIGTERM');
        let done = await Promise.race([closed, after(killAfterMs)]);
        if (!done) {
          log('warn', 'journalctl ignored SIGTERM; killing it', { pid: proc.pid, after_ms: killAfterMs });
          proc.kill('SIGKILL');
          done = await Promise.race([closed, after(200)]);
        }
        for (const t of timers) clearTimeout(t);
        if (!done) {
          // still not gone: stop waiting for it, and let nothing of it keep the process alive
          log('warn', 'journalctl did not exit after SIGKILL; leaving it', { pid: proc.pid });
          if (child === proc) child = null;
          proc.stdout?.destroy();
          proc.stderr?.destroy();
          proc.unref();
          stopWaiters = [];
        }
      }
      save();
      if (cursorFileBehind && savedCursor !== null) writeCursorFile(savedCursor, false);
      if (h.up || h.lastError !== 'stopped') {
        h.up = false;
        h.lastError = 'stopped';
        emit();
      }
    },
    health: () => ({ ...h }),
    cursor: () => cursor,
    pid: () => child?.pid ?? null,
  };
}
