/**
 * The chat in the browser: log in, see friends and who is online, click (or double-click, as
 * the seed's chat did, or focus and press Enter) a friend to talk, and get messages live
 * through one held poll (the lesson 04 loop: resume from the last message id, back off after
 * errors, stop on "cancelled").
 *
 * The page speaks the site's language (English or 简体中文, the site's switch and its
 * catalog: the `chat` keys of the `site` namespace), and sets `<html lang>` to match.
 *
 * User text is only ever set with textContent, never as HTML.
 */
import { languageSwitch, t } from '../../../site/i18n.ts';
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
  showMe();
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
      showConnection({ key: 'chat.connected' });
      handle(s, answer);
    } catch (error) {
      if (s.stopped) return;
      failures++;
      showConnection({ key: 'chat.reconnecting', values: { error: (error as Error).message } });
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
    showConnection({ key: answer.status === 'cancelled' ? 'chat.disconnected' : 'chat.replaced' });
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
        item.append(`${friend.name}${friend.online ? '' : t('chat.offline')}`);
        const unread = s.unread.get(friend.id);
        if (unread) {
          const badge = document.createElement('span');
          badge.className = 'unread';
          badge.textContent = String(unread);
          badge.setAttribute('aria-label', t('chat.unread', { count: unread }));
          item.append(badge);
        }
        // One click opens the conversation; so does the seed's double click (its first click has), Enter or Space.
        const open = (): void => {
          if (s.open !== friend.id) void openConversation(friend.id);
        };
        item.addEventListener('click', open);
        item.addEventListener('dblclick', open);
        item.addEventListener('keydown', (event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          event.preventDefault();
          open();
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
      accept.textContent = t('chat.accept');
      accept.setAttribute('aria-label', t('chat.acceptLabel', { name: user.name }));
      accept.addEventListener('click', () => void answerRequest(user, 'accept'));
      const decline = document.createElement('button');
      decline.type = 'button';
      decline.textContent = t('chat.decline');
      decline.setAttribute('aria-label', t('chat.declineLabel', { name: user.name }));
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
  showWith();
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
      time.textContent = `${message.from === s.me.id ? t('chat.you') : (s.friends.get(message.from)?.name ?? '')} · ${new Date(message.time).toLocaleTimeString(document.documentElement.lang)}`;
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
    if (answer.request) $('friend-note').textContent = t('chat.asked', { name: answer.request.name });
    input.value = '';
    renderFriends();
  } catch (error) {
    $('friend-error').textContent = (error as Error).message;
  }
}

// --- the language ---------------------------------------------------------------------

/** What the connection line says, kept as a key so that a language switch says it again. */
let connection: { key: string; values?: Record<string, unknown> } | undefined;

function showConnection(said: { key: string; values?: Record<string, unknown> }): void {
  connection = said;
  $('connection').textContent = t(said.key, said.values);
}

function showMe(): void {
  if (state) $('me').textContent = t('chat.loggedInAs', { name: state.me.name });
}

function showWith(): void {
  if (!state) return;
  const open = state.open;
  $('with').textContent = open === undefined ? t('chat.noConversation') : t('chat.chatWith', { name: state.friends.get(open)?.name ?? String(open) });
}

/** The demo accounts' sentence, with the names and the password as code (漠然 marked as Chinese, so it is drawn with a Chinese font). */
function showDemoAccounts(): void {
  const code = (text: string, lang?: string): HTMLElement => {
    const element = document.createElement('code');
    element.textContent = text;
    if (lang) element.lang = lang;
    return element;
  };
  const marker = '\u0000';
  const sentence = t('chat.demoAccounts', { first: marker, second: marker, password: marker }).split(marker);
  const values = [code('liger_zql'), code('漠然', 'zh-CN'), code('12345')];
  $('demo-accounts').replaceChildren(...sentence.flatMap((part, index) => (index < values.length ? [part, values[index]!] : [part])));
}

/** Every text of the page in the language chosen: the static ones (data-i18n) and those drawn from the state. */
function translatePage(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n]')) element.textContent = t(element.dataset.i18n!);
  document.title = t('chat.title');
  showDemoAccounts();
  showMe();
  showWith();
  if (connection) showConnection(connection);
  renderFriends();
  renderRequests();
  renderConversation();
}

$('language-slot').replaceWith(languageSwitch(translatePage));
translatePage();

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
