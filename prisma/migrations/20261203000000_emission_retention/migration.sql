-- Retention deletes a tenant's emitEvent records older than its window (services/retention.ts).
CREATE INDEX "EventEmission_tenantId_createdAt_idx" ON "EventEmission"("tenantId", "createdAt");
