/**
 * Every key the coordinator writes, in one place: the layout of its store.
 * Keys are ASCII and ordered; numbers are zero-padded so that key order is
 * numeric order, and each kind has its own prefix so a kind is one range.
 *
 *   m/<cluster>/<member>           a member's record (registry)
 *   e/<revision:16>                a membership event, for Watch resumption
 *   meta/revision                  the current and oldest retained revision
 *   b/<broadcast>                  a broadcast's record (scheduler)
 *   s/<broadcast>/<shard:8>        a shard: range, owner, epoch, checkpoint
 *   a/<audience>/<sequence:12>     one recipient (audience = broadcast id or upload id)
 *   up/<upload>                    a completed upload (its recipient count)
 *   dl/<broadcast>/<sequence:12>   a dead letter
 *   r/<request id>                 the broadcast an idempotent create made
 */
export const KEY_MEMBER = 'm/';
export const KEY_EVENT = 'e/';
export const KEY_META_REVISION = 'meta/revision';
export const KEY_BROADCAST = 'b/';
export const KEY_SHARD = 's/';
export const KEY_AUDIENCE = 'a/';
export const KEY_UPLOAD = 'up/';
export const KEY_DEAD_LETTER = 'dl/';
export const KEY_REQUEST = 'r/';

export const pad = (n: number, width = 12): string => String(n).padStart(width, '0');
export const eventKey = (revision: number): string => KEY_EVENT + pad(revision, 16);
export const broadcastKey = (id: string): string => KEY_BROADCAST + id;
export const shardKey = (id: string, shardId: number): string => `${KEY_SHARD}${id}/${pad(shardId, 8)}`;
export const audienceKey = (audienceId: string, sequence: number): string => `${KEY_AUDIENCE}${audienceId}/${pad(sequence)}`;
/** Every recipient of an audience is under this prefix. */
export const audiencePrefix = (audienceId: string): string => `${KEY_AUDIENCE}${audienceId}/`;
export const deadLetterKey = (id: string, sequence: number): string => `${KEY_DEAD_LETTER}${id}/${pad(sequence)}`;
/** Every dead letter of a broadcast is under this prefix. */
export const deadLetterPrefix = (id: string): string => `${KEY_DEAD_LETTER}${id}/`;
