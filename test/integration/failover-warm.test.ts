import { failoverMatrix } from "./failover-scenarios.ts";

failoverMatrix("warm");
