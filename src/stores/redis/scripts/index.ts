/** Every script the adapter loads, by the name node-redis gives its client method. */
import { auditAppend } from './audit-scripts.js';
import { credentialAdd, credentialFind, credentialList, credentialRemove, credentialUpdate, credentialWithUser, loginAdd, loginRename } from './credential-scripts.js';
import { endedRecordCount } from './ended-record-scripts.js';
import { flowOpen } from './flow-scripts.js';
import { grantLoadRedemption } from './grant-scripts.js';
import { ipBanLift, loginFailureRecord } from './login-attempt-scripts.js';
import { mfaAcceptStep, mfaSet } from './mfa-scripts.js';
import { recordCompareAndSet, recordCreate, recordDelete } from './record-scripts.js';
import { recordStateCount, recordStateFill } from './record-count-scripts.js';
import {
  refreshTokenClaimHash, refreshTokenCreate, refreshTokenDelete, refreshTokenExchange, refreshTokenList, refreshTokenLoadByHash, refreshTokenLoadPresented, refreshTokenLoadSession, refreshTokenRecordUse, refreshTokenReleaseHash,
} from './refresh-token-scripts.js';
import { storedTextSwap } from './sealing-scripts.js';
import { onboardingState, onboardingUndo, passwordReplace, userCreate, userDelete, userUpdate } from './user-scripts.js';

export const redisScripts = {
  auditAppend,
  recordCreate,
  recordCompareAndSet,
  recordDelete,
  flowOpen,
  grantLoadRedemption,
  recordStateCount,
  recordStateFill,
  refreshTokenClaimHash,
  refreshTokenCreate,
  refreshTokenDelete,
  refreshTokenExchange,
  refreshTokenList,
  refreshTokenLoadByHash,
  refreshTokenLoadPresented,
  refreshTokenLoadSession,
  refreshTokenRecordUse,
  refreshTokenReleaseHash,
  userCreate,
  userUpdate,
  userDelete,
  onboardingState,
  onboardingUndo,
  credentialAdd,
  credentialRemove,
  credentialUpdate,
  credentialFind,
  credentialList,
  credentialWithUser,
  loginAdd,
  loginRename,
  passwordReplace,
  mfaSet,
  mfaAcceptStep,
  loginFailureRecord,
  ipBanLift,
  storedTextSwap,
  endedRecordCount,
};
