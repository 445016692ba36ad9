import { membershipWorkload } from './workload';

(window as any).__membership = () => membershipWorkload({ events: 10_000, warmup: 5_000 });
