import { eventFailoverScenarios } from "./event-failover-scenarios.ts";

eventFailoverScenarios(["hot", "cold"]);
