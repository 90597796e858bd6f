/** Someone allowed to read the log's entry bundles: a regulator's audit team, a court's expert, a witness. */
export interface Auditor {
  id: string;
  name: string;
  status: 'active' | 'revoked';
  /** The first characters of the key, to tell keys apart; the key itself is never stored. */
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface AuditorRepository {
  insert(auditor: Auditor, keyHash: Buffer): Promise<void>;
  list(): Promise<Auditor[]>;
  findById(id: string): Promise<Auditor | null>;
  findByKeyHash(keyHash: Buffer): Promise<Auditor | null>;
  revoke(id: string, at: Date): Promise<boolean>;
}
