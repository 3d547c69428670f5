/** Public API of da-audit. */

export { readCapture, type CaptureResult, type ReadOptions, type FrameSink } from './capture/open.js';
export { Frame, RecordKind, Direction, type CaptureInterface, type CaptureSection } from './capture/frame.js';
export { PcapWriter, PcapngWriter, MemorySink } from './capture/writer.js';
export { buildInfo, type InfoReport } from './report/info.js';
export { CaptureError, CaptureErrorCode, UsageError, InternalError } from './util/errors.js';
export { VERSION } from './version.js';
