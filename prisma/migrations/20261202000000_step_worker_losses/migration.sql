-- AlterTable
ALTER TABLE "Step" ADD COLUMN     "workerLosses" INTEGER NOT NULL DEFAULT 0;
