// Routes each request to one of the chDB service containers: they are
// stateless, so any instance answers any query.
import { Container, getRandom } from '@cloudflare/containers';

export class ChdbContainer extends Container {
  defaultPort = 8124;
  sleepAfter = '10m';
}

interface Env {
  CHDB: DurableObjectNamespace<ChdbContainer>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const container = await getRandom(env.CHDB, 4);
    return container.fetch(request);
  },
};
