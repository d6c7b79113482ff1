/**
 * `@mister-smith/crdt`: the merge algebra of the state layer. Hybrid logical clocks,
 * last-writer-wins registers, vector clocks, Automerge documents and the `ConflictStrategy`
 * interface that the state store applies around KV compare-and-set. Pure: no I/O.
 *
 * @packageDocumentation
 */

// Types
export type { CrdtErrorCode, CrdtErrorOptions } from './CrdtError.js';
export type { JsonValue } from './jsonValue.js';
export { canonicalJson } from './jsonValue.js';
export type { HlcTimestamp } from './HlcTimestamp.js';
export type { HybridLogicalClockOptions } from './HybridLogicalClock.js';
export type { LwwRegister } from './lwwRegister.js';
export type { ClockOrder, VectorClock } from './vectorClocks.js';
export type { SiblingMerge, VclockRegister, VclockVersion } from './vclockRegister.js';
export type { CrdtDoc, DocOptions, DocRecipe } from './automergeDoc.js';
export type { CrdtStored, LwwStored, StoredValue, StrategyName, VclockStored } from './StoredValue.js';
export type { CrdtChanges } from './crdtChanges.js';
export type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
export type { ValueRecipe } from './applyValueRecipe.js';
export type { VectorClockOptions } from './vectorClockStrategy.js';
export type { AutomergeOptions } from './automergeStrategy.js';
export type { StrategyChoice, StrategySpec } from './resolveStrategy.js';
export type { MergeOutcome } from './describeOutcome.js';

// Errors
export { CrdtError } from './CrdtError.js';

// Hybrid logical clock
export { HLC_MAX_COUNTER, compareHlc, isHlcTimestamp, maxHlc } from './HlcTimestamp.js';
export { HybridLogicalClock } from './HybridLogicalClock.js';
export { decodeHlc, encodeHlc } from './hlcCodec.js';

// Registers
export { compareLww, mergeLww } from './lwwRegister.js';
export { compareClocks, increment, isVectorClock, mergeClocks, normalizeClock } from './vectorClocks.js';
export { maximalVersions, mergeVclock, resolveSiblings } from './vclockRegister.js';

// Automerge documents
export { changeDoc, createDoc, docHeads, readDoc } from './automergeDoc.js';
export { decodeDoc, decodeDocBase64, encodeDoc, encodeDocBase64 } from './docCodec.js';
export { docContains, mergeDocs, mergeEncodedDocs } from './mergeDocs.js';
export { applyDocChanges, encodeDocChanges } from './docChanges.js';
export { applyCrdtChanges, crdtChangesOf, crdtStoredAt, FULL_EVERY, isCrdtChanges } from './crdtChanges.js';
export { forgetLoadedDocs } from './liveDocs.js';
export { actorIdFor } from './actorIdFor.js';
export { base64ToBytes, bytesToBase64 } from './base64.js';

// Strategies
export { lww } from './lwwStrategy.js';
export { vectorClock } from './vectorClockStrategy.js';
export { automerge } from './automergeStrategy.js';
export { isConflictStrategy, strategyFor } from './strategyFor.js';
export { resolveStrategy, validateStrategySpec } from './resolveStrategy.js';
export { applyWrite } from './applyWrite.js';
export { describeOutcome } from './describeOutcome.js';
export { parseStored } from './parseStored.js';
export { decodeStored, encodeStored } from './storedCodec.js';
export { storedEquals } from './storedEquals.js';
