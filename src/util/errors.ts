/** Error classes with stable codes (architecture §8); tests assert `.code`, never the message. */

/** Fatal problems with a capture file: it cannot be read (further). */
export const CaptureErrorCode = {
  Empty: 'CAPTURE_EMPTY',
  BadMagic: 'CAPTURE_BAD_MAGIC',
  UnsupportedFormat: 'CAPTURE_UNSUPPORTED_FORMAT',
  UnsupportedVersion: 'CAPTURE_UNSUPPORTED_VERSION',
  BadHeader: 'CAPTURE_BAD_HEADER',
  BadBlock: 'CAPTURE_BAD_BLOCK',
  BadOption: 'CAPTURE_BAD_OPTION',
  BadInterface: 'CAPTURE_BAD_INTERFACE',
  RecordTooLong: 'CAPTURE_RECORD_TOO_LONG',
  Io: 'CAPTURE_IO',
  Gzip: 'CAPTURE_GZIP',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

/** Where in the input a capture problem was found. `frame` is the frame being read (1-based). */
export interface CapturePosition {
  file: string;
  offset: number;
  frame: number;
}

export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  readonly position: CapturePosition;
  readonly detail: string;
  constructor(code: CaptureErrorCode, detail: string, position: CapturePosition) {
    super(`${position.file}: byte offset ${position.offset}, frame ${position.frame}: ${detail}`);
    this.name = 'CaptureError';
    this.code = code;
    this.detail = detail;
    this.position = position;
  }
}

/** A bad command line: unknown flag, bad value. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A bug in da-audit. */
export class InternalError extends Error {
  readonly code = 'INTERNAL';
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}
