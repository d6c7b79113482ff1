import { msError } from '@mister-smith/core';
import { automerge } from '@mister-smith/crdt';
import { defineAgentType } from './defineAgentType.js';

/** One note of a `notes` agent. */
export interface Note {
  readonly id: string;
  readonly text: string;
  /** Who added it (the writer id of the supervisor that executed the command). */
  readonly author: string;
}

/** The Automerge document a `notes` agent keeps under its `doc` key. */
export interface NotesDoc extends Record<string, unknown> {
  notes: Note[];
}

/** State of a `notes` agent. */
export interface NotesState extends Record<string, unknown> {
  readonly doc: NotesDoc;
}

const NOTE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function textOf(payload: unknown): string {
  const text = (payload as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string' || text.length === 0 || text.length > 10_000) {
    throw msError('INVALID_ARGUMENT', 'note text must be a string of 1 to 10,000 characters', { details: { text: typeof text } });
  }
  return text;
}

function idOf(payload: unknown, fallback?: string): string {
  const id = (payload as { id?: unknown } | undefined)?.id ?? fallback;
  if (typeof id !== 'string' || !NOTE_ID.test(id)) {
    throw msError('INVALID_ARGUMENT', `note id must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(id)}`, { details: { id } });
  }
  return id;
}

/**
 * Example agent type: one Automerge document (`doc`) that several writers edit concurrently;
 * every edit is an Automerge change applied to the current stored document, so concurrent
 * additions all survive. Commands: `addNote { text, id? }` (id defaults to the command id),
 * `editNote { id, text }`, `removeNote { id }`, `clear`.
 */
export const notesAgent = defineAgentType<NotesState>({
  name: 'notes',
  initialState: { doc: { notes: [] } },
  strategies: { keys: { doc: automerge<NotesDoc>({ initial: { notes: [] } }) } },
  commands: {
    addNote(_draft, payload, ctx) {
      const text = textOf(payload);
      const id = idOf(payload, ctx.commandId?.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64));
      const author = ctx.writer;
      ctx.edit<NotesDoc>('doc', (d) => { d.notes.push({ id, text, author }); });
      return { id };
    },
    editNote(draft, payload, ctx) {
      const id = idOf(payload);
      const text = textOf(payload);
      ctx.edit<NotesDoc>('doc', (d) => {
        const note = d.notes.find((n) => n.id === id);
        if (note) (note as { text: string }).text = text;
      });
      return { id, found: draft.doc.notes.some((n) => n.id === id) };
    },
    removeNote(draft, payload, ctx) {
      const id = idOf(payload);
      ctx.edit<NotesDoc>('doc', (d) => {
        const i = d.notes.findIndex((n) => n.id === id);
        if (i >= 0) d.notes.splice(i, 1);
      });
      return { id, found: draft.doc.notes.some((n) => n.id === id) };
    },
    clear(_draft, _payload, ctx) {
      ctx.edit<NotesDoc>('doc', (d) => { d.notes.splice(0, d.notes.length); });
      return { cleared: true };
    },
  },
});
