// Sends user notifications over e-mail and web push.
import { Mailer } from './mailer';
import { PushService } from './push';

type Channel = 'email' | 'push';

export async function notifyUsers(users: { id: string; email: string }[], message: string): Promise<number> {
  const mailer = new Mailer();
  const push = new PushService();
  let sent = 0;
  for (const user of users) {
    const channel: Channel = user.email ? 'email' : 'push';
    try {
      if (channel === 'email') {
        await mailer.send(user.email, `Hello ${user.id}`, message);
      } else {
        await push.send(user.id, { title: 'Update', body: message });
      }
      sent += 1;
    } catch (error) {
      console.error(`notify ${user.id} via ${channel} failed`, error);
    }
  }
  return sent;
}
