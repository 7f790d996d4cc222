// Email for the `email` action: through SMTP (nodemailer) when SMTP_URL is set; otherwise into the
// EmailOutbox table, so a message is never silently dropped and a developer can read it there.
import nodemailer from "nodemailer";
import type { Db } from "../db/client.ts";
import type { EmailMessage } from "../engine/actions/types.ts";

export type EmailOrigin = { tenantId: string; executionId: string; stepKey: string };
export type SentEmail = { delivered: boolean; transport: "smtp" | "outbox"; id: string };
export type EmailSender = (message: EmailMessage, origin: EmailOrigin) => Promise<SentEmail>;

export function createEmailSender(db: Db, smtpUrl: string | undefined, defaultFrom: string): EmailSender {
  if (smtpUrl) {
    const transport = nodemailer.createTransport(smtpUrl);
    return async (message) => {
      const info = await transport.sendMail({ ...message, from: message.from ?? defaultFrom });
      return { delivered: true, transport: "smtp", id: info.messageId };
    };
  }
  return async (message, origin) => {
    const row = await db.emailOutbox.create({
      data: { ...origin, ...message, from: message.from ?? defaultFrom },
      select: { id: true },
    });
    return { delivered: false, transport: "outbox", id: row.id };
  };
}
