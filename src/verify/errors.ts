/** Why a proof, note, checkpoint, receipt or entry was refused. Stable codes; the messages may improve. */
export type VerifyErrorCode =
  | 'invalid_argument'
  | 'invalid_hash'
  | 'invalid_proof'
  | 'root_mismatch'
  | 'malformed_note'
  | 'malformed_checkpoint'
  | 'malformed_proof'
  | 'malformed_entry'
  | 'invalid_entry'
  | 'invalid_verifier_key'
  | 'no_signature'
  | 'invalid_signature'
  | 'origin_mismatch';

/** Every refusal of this module is a VerifyError: nothing is ever "verified" by returning false. */
export class VerifyError extends Error {
  readonly code: VerifyErrorCode;
  constructor(code: VerifyErrorCode, message: string) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
  }
}
