/** `hass-auth import-ha` on Redis, under a key prefix of its own. */
import { describeImportHaOn } from './import-ha-scenarios.js';
import { redisCliStore } from './cli-process.js';

describeImportHaOn(redisCliStore);
