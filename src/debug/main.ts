/**
 * The `eventscope` debug adapter as a program (dist/debugAdapter.js): the Debug Adapter Protocol on
 * stdin/stdout, for any DAP client (VS Code runs the same adapter inline, in the extension). The
 * cipher key comes from the launch configuration (`cipherKey`) or EVENTSCOPE_CIPHER_KEY.
 */

import { DebugSession } from '@vscode/debugadapter';
import { EventscopeDebugSession } from './adapter';

class StandaloneSession extends EventscopeDebugSession {
  constructor() {
    super();
  }
}

DebugSession.run(StandaloneSession);
