/** Public library API (re-exports only). */
export { analyze, analyzeLogs, resolveInputs, defaultThreads, type AnalyzeOptions, type Progress } from './pipeline/analyze.js';
export { InputError } from './sources/errors.js';
export { DEFAULT_DETECT, type DetectConfig } from './detectors/config.js';
export type { Report, AttackReport, FileReport, MalformedSample, SourceCount, ValueCount } from './report/report.js';
export type { Episode, FindingLinks } from './report/groups.js';
export { REPORT_SCHEMA } from './report/report.js';
export type { PacketReport, PacketAttackReport, VictimReport, CaptureFileReport } from './report/packet-report.js';
export { DEFAULT_PACKET_DETECT, type PacketDetectConfig } from './detectors/packet.js';
export { writePcap, writePcapng, generateCapture, ethIpv4, type Packet, type CaptureTruth } from './generate/capture.js';
export { renderText } from './sinks/text.js';
export { renderJson } from './sinks/json.js';
export { compileLogFormat, PRESETS, type Plan, type PresetName } from './parsers/log-format.js';
export { HyperLogLog } from './sketches/hyperloglog.js';
export { CountMin } from './sketches/count-min.js';
export { SpaceSaving, type TopEntry } from './sketches/space-saving.js';
export { generateAccessLog, sampleScenario, benchScenario, type GroundTruth, type ScenarioOptions } from './generate/access-log.js';
export type { AlertEvent, EngineHooks } from './windows/engine.js';
export { VERSION } from './version.js';
