/**
 * `@mister-smith/projector`: the process that runs every projection and answers status, pause,
 * resume and rebuild requests over NATS.
 *
 * @packageDocumentation
 */
export type { Projector, ProjectorOptions } from './createProjector.js';
export type { ProjectorErrorBody, ProjectorReply, ProjectorRequest, ProjectorStatusResult } from './ProjectorProtocol.js';
export type { ProjectorVerb } from './projectorSubjects.js';
export type { ProjectorMetrics } from './projectorMetrics.js';
export type { ProjectorService, ProjectorServiceOptions } from './main.js';

export { createProjector } from './createProjector.js';
export { PROJECTOR_VERBS, projectorSubject } from './projectorSubjects.js';
export { createProjectorMetrics } from './projectorMetrics.js';
export { runProjectorService } from './main.js';
export { retentionHeadroom } from './retentionHeadroom.js';
export { measureHeadroom, readStreamLimits } from './measureHeadroom.js';
export type { MeasuredHeadroom, ProjectionPosition, StreamLimits } from './measureHeadroom.js';
export type { Headroom, HeadroomInput } from './retentionHeadroom.js';
