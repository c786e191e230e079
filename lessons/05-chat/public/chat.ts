/**
 * The chat in the browser: log in, see friends and who is online, double-click a friend to
 * talk, and get messages live through one held poll (the lesson 04 loop: resume from the
 * last message id, back off after errors, stop on "cancelled").
 *
 * User text is only ever set with textContent, never as HTML.
 */
import type { ChatMessage, Friend, PollAnswer, User } from '../protocol.ts';

const api = new URL('../api/', location.href).href;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

interface State {
  token: string;
  me: User;
  friends: Map<number, Friend>;
  /** Users who asked to be our friend and have no answer yet. */
  incoming: Map<number, User>;
  /** Messages by friend id, then by message id. */
  conversations: Map<number, Map<number, ChatMessage>>;
  unread: Map<number, number>;
  open: number | undefined;
  lastMessageId: number;
  stopped: boolean;
  poll: AbortController | undefined;
}

let state: State | undefined;

async function request<T>(path: string, init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const response = await fetch(api + path, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  if (response.status === 204) return undefined as T;
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status}`);
  return body;
}

// --- logging in -----------------------------------------------------------------------

async function submitAccount(mode: 'login' | 'register'): Promise<void> {
  const name = $<HTMLInputElement>('name').value;
  const password = $<HTMLInputElement>('password').value;
  $('account-error').textContent = '';
  try {
    if (mode === 'register') await request('register', { method: 'POST', body: { name, password } });
    const { token, user } = await request<{ token: string; user: User }>('login', { method: 'POST', body: { name, password } });
    sessionStorage.setItem('token', token);
    await start(token, user);
  } catch (error) {
    $('account-error').textContent = (error as Error).message;
  }
}

async function start(token: string, me: User): Promise<void> {
  const { friends, incoming } = await request<{ friends: Friend[]; incoming: User[] }>('friends', { token });
  state = {
    token,
    me,
    friends: new Map(friends.map((f) => [f.id, f])),
    incoming: new Map(incoming.map((u) => [u.id, u])),
    conversations: new Map(),
    unread: new Map(),
    open: undefined,
    lastMessageId: Number(sessionStorage.getItem(`last:${me.id}`) ?? 0),
    stopped: false,
    poll: undefined,
  };
  $('welcome').hidden = true;
  $('chat').hidden = false;
  $('me').textContent = `Logged in as ${me.name}`;
  renderFriends();
  renderRequests();
  void keepPolling(state);
}

async function logout(): Promise<void> {
  if (!state) return;
  const { token } = state;
  stop();
  sessionStorage.removeItem('token');
  await request('logout', { method: 'POST', token }).catch(() => undefined);
  location.reload();
}

function stop(): void {
  if (!state) return;
  state.stopped = true;
  state.poll?.abort();
}

// --- the poll loop --------------------------------------------------------------------

async function keepPolling(s: State): Promise<void> {
  let failures = 0;
  while (!s.stopped) {
    try {
      s.poll = new AbortController();
      const answer = await request<PollAnswer>(`poll?after=${s.lastMessageId}`, { token: s.token, signal: s.poll.signal });
      failures = 0;
      $('connection').textContent = 'connected';
      handle(s, answer);
    } catch (error) {
      if (s.stopped) return;
      failures++;
      $('connection').textContent = `reconnecting (${(error as Error).message})`;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** (failures - 1), 15_000)));
    }
  }
}

function handle(s: State, answer: PollAnswer): void {
  if (answer.status === 'messages') {
    for (const message of answer.messages) receive(s, message);
    s.lastMessageId = Math.max(s.lastMessageId, ...answer.messages.map((m) => m.id));
    sessionStorage.setItem(`last:${s.me.id}`, String(s.lastMessageId));
  } else if (answer.status === 'presence') {
    for (const friend of answer.presence) {
      s.friends.set(friend.id, friend);
      s.incoming.delete(friend.id);
    }
    for (const user of answer.requests) if (!s.friends.has(user.id)) s.incoming.set(user.id, user);
    renderFriends();
    renderRequests();
  } else if (answer.status === 'cancelled' || answer.status === 'replaced') {
    // Cancelled: logged out or the server stops. Replaced: a newer poll of this tab took over.
    s.stopped = true;
    $('connection').textContent = answer.status === 'cancelled' ? 'disconnected' : 'disconnected (another poll of this tab took over)';
  }
}

/** Files a message under its conversation (once, whatever way it came) and shows it if open. */
function receive(s: State, message: ChatMessage): void {
  const friendId = message.from === s.me.id ? message.to : message.from;
  let conversation = s.conversations.get(friendId);
  if (!conversation) s.conversations.set(friendId, (conversation = new Map()));
  if (conversation.has(message.id)) return;
  conversation.set(message.id, message);
  if (s.open === friendId) renderConversation();
  else if (message.from !== s.me.id) {
    s.unread.set(friendId, (s.unread.get(friendId) ?? 0) + 1);
    renderFriends();
  }
}

// --- friends and conversations --------------------------------------------------------

function renderFriends(): void {
  if (!state) return;
  const s = state;
  const list = $('friends');
  list.replaceChildren(
    ...[...s.friends.values()]
      .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
      .map((friend) => {
        const item = document.createElement('li');
        item.role = 'option';
        item.tabIndex = 0;
        item.dataset.id = String(friend.id);
        item.className = friend.online ? 'online' : 'offline';
        item.setAttribute('aria-selected', String(s.open === friend.id));
        item.append(`${friend.name}${friend.online ? '' : ' (offline)'}`);
        const unread = s.unread.get(friend.id);
        if (unread) {
          const badge = document.createElement('span');
          badge.className = 'unread';
          badge.textContent = String(unread);
          badge.setAttribute('aria-label', `${unread} unread`);
          item.append(badge);
        }
        item.addEventListener('dblclick', () => void openConversation(friend.id));
        item.addEventListener('keydown', (event) => {
          if (event.key === 'Enter') void openConversation(friend.id);
        });
        return item;
      }),
  );
}

/** Friend requests waiting for our answer, each with Accept and Decline. */
function renderRequests(): void {
  if (!state) return;
  const s = state;
  $('requests-title').hidden = s.incoming.size === 0;
  $('requests').replaceChildren(
    ...[...s.incoming.values()].map((user) => {
      const item = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = user.name; // text, never HTML
      const accept = document.createElement('button');
      accept.type = 'button';
      accept.textContent = 'Accept';
      accept.setAttribute('aria-label', `Accept ${user.name}`);
      accept.addEventListener('click', () => void answerRequest(user, 'accept'));
      const decline = document.createElement('button');
      decline.type = 'button';
      decline.textContent = 'Decline';
      decline.setAttribute('aria-label', `Decline ${user.name}`);
      decline.addEventListener('click', () => void answerRequest(user, 'decline'));
      item.append(name, ' ', accept, ' ', decline);
      return item;
    }),
  );
}

async function answerRequest(user: User, answer: 'accept' | 'decline'): Promise<void> {
  if (!state) return;
  $('friend-error').textContent = '';
  try {
    const result = await request<{ friend?: Friend } | undefined>(`friends/${user.id}/${answer}`, { method: 'POST', token: state.token });
    state.incoming.delete(user.id);
    if (result?.friend) state.friends.set(result.friend.id, result.friend);
    renderFriends();
    renderRequests();
  } catch (error) {
    $('friend-error').textContent = (error as Error).message;
  }
}

async function openConversation(friendId: number): Promise<void> {
  if (!state) return;
  const s = state;
  s.open = friendId;
  s.unread.delete(friendId);
  $('with').textContent = `Chat with ${s.friends.get(friendId)?.name ?? friendId}`;
  $('send').hidden = false;
  $<HTMLInputElement>('content').focus();
  const { messages } = await request<{ messages: ChatMessage[] }>(`history?with=${friendId}`, { token: s.token });
  for (const message of messages) receive(s, message);
  renderFriends();
  renderConversation();
}

function renderConversation(): void {
  if (!state || state.open === undefined) return;
  const s = state;
  const open = state.open;
  const messages = [...(s.conversations.get(open)?.values() ?? [])].sort((a, b) => a.id - b.id);
  $('messages').replaceChildren(
    ...messages.map((message) => {
      const item = document.createElement('li');
      item.className = message.from === s.me.id ? 'mine' : 'theirs';
      const time = document.createElement('time');
      time.dateTime = new Date(message.time).toISOString();
      time.textContent = `${message.from === s.me.id ? 'you' : s.friends.get(message.from)?.name ?? ''} · ${new Date(message.time).toLocaleTimeString()}`;
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = message.content; // text, never HTML
      item.append(time, text);
      return item;
    }),
  );
  const list = $('messages');
  list.scrollTop = list.scrollHeight;
}

async function send(): Promise<void> {
  if (!state || state.open === undefined) return;
  const input = $<HTMLInputElement>('content');
  $('send-error').textContent = '';
  try {
    const message = await request<ChatMessage>('messages', { method: 'POST', token: state.token, body: { to: state.open, content: input.value } });
    receive(state, message);
    input.value = '';
  } catch (error) {
    $('send-error').textContent = (error as Error).message;
  }
}

async function addFriend(): Promise<void> {
  if (!state) return;
  const input = $<HTMLInputElement>('friend-name');
  $('friend-error').textContent = '';
  $('friend-note').textContent = '';
  try {
    // 202 { request }: asked, they must accept; 201 { friend }: they had asked us.
    const answer = await request<{ friend?: Friend; request?: User }>('friends', { method: 'POST', token: state.token, body: { name: input.value } });
    if (answer.friend) state.friends.set(answer.friend.id, answer.friend);
    if (answer.request) $('friend-note').textContent = `Asked ${answer.request.name}: you can write once they accept.`;
    input.value = '';
    renderFriends();
  } catch (error) {
    $('friend-error').textContent = (error as Error).message;
  }
}

// --- wiring ---------------------------------------------------------------------------

$('account').addEventListener('submit', (event) => {
  event.preventDefault();
  void submitAccount('login');
});
$('register').addEventListener('click', () => void submitAccount('register'));
$('logout').addEventListener('click', () => void logout());
$('send').addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
$('add-friend').addEventListener('submit', (event) => {
  event.preventDefault();
  void addFriend();
});
window.addEventListener('pagehide', stop);

const saved = sessionStorage.getItem('token');
if (saved) {
  request<{ user: User }>('me', { token: saved }).then(
    ({ user }) => start(saved, user),
    () => sessionStorage.removeItem('token'),
  );
}
