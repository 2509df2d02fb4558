/**
 * The daemon's proof that it knows the API token (`GET /api/identity`), computed the same way by
 * the daemon and by clients that check it before they send the token. Bound to the Host the
 * client asked for, so a program on another port cannot relay the real daemon's answer.
 */
import { createHmac } from 'node:crypto';

const IDENTITY_CONTEXT = 'keyrx-identity-v1';

export function identityProof(token: string, host: string, challenge: string): string {
  return createHmac('sha256', token)
    .update(`${IDENTITY_CONTEXT}\n${host.toLowerCase()}\n${challenge}`)
    .digest('hex');
}
