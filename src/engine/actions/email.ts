// Sends an email through services.sendEmail (SMTP or the outbox, chosen outside the engine).

import { z } from "zod";
import { cancelled, defineAction, failed } from "./types.ts";

const address = z.email();

export const emailAction = defineAction({
  type: "email",
  input: z.strictObject({
    to: z.union([address, z.array(address).min(1).max(50)]),
    subject: z.string().min(1).max(998),
    text: z.string().optional(),
    html: z.string().optional(),
    // Free text, not z.email(): "Stepstream <noreply@example.com>" is a valid From.
    from: z.string().min(1).optional(),
  }),
  async run({ to, subject, text, html, from }, ctx) {
    if (ctx.signal.aborted) return cancelled();
    const recipients = Array.isArray(to) ? to : [to];
    ctx.log("INFO", `Sending "${subject}" to ${recipients.join(", ")}`, { to: recipients });
    try {
      const sent = await ctx.services.sendEmail({ to: recipients, subject, text, html, from });
      ctx.log("INFO", sent.transport === "smtp" ? `Sent by SMTP (${sent.id})` : `Stored in EmailOutbox (${sent.id}); SMTP_URL is not set`, {
        transport: sent.transport,
        id: sent.id,
      });
      return { status: "completed", output: { delivered: sent.delivered, transport: sent.transport, id: sent.id } };
    } catch (error) {
      // Mail servers fail transiently far more often than permanently; the retry policy bounds it.
      const message = error instanceof Error ? error.message : String(error);
      return failed("EMAIL_SEND_FAILED", `sending the email failed: ${message}`, true);
    }
  },
});
