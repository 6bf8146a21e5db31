/** `hass-auth` on the embedded store: the shared scenarios with DATA_DIR pointing at a fresh directory. */
import { describeCliOn } from './cli-scenarios.js';
import { sqliteCliStore } from './cli-process.js';

describeCliOn(sqliteCliStore);
