/** One journal entry as every parser (export, JSON, text) delivers it, and why a record was skipped. */

/** One journal entry, normalised from export, JSON or plain-text input. */
export interface JournalEntry {
  /** __CURSOR, when the source has one */
  cursor: string | null;
  /** __REALTIME_TIMESTAMP in microseconds since the epoch (fits a double until year 2255) */
  realtimeUs: number;
  /** _SYSTEMD_UNIT (or UNIT for PID 1 lines); null when absent */
  unit: string | null;
  /** SYSLOG_IDENTIFIER */
  identifier: string | null;
  /** _TRANSPORT: stdout, syslog, kernel, journal, audit … */
  transport: string | null;
  pid: number | null;
  /** _STREAM_ID, used to join multi-line klog records */
  streamId: string | null;
  bootId: string | null;
  /** MESSAGE decoded as UTF-8 (invalid bytes replaced) */
  message: string;
}

/** Why an input record was skipped; each reason is a metric label value. */
export type SkipReason =
  | 'truncated'
  | 'no_message'
  | 'invalid_utf8'
  | 'oversize'
  | 'malformed'
  | 'no_timestamp'
  | 'binary_garbage';
