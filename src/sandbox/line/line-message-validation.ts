/**
 * One problem in a request body, as LINE reports it.
 *
 * @example
 * const detail: LineErrorDetail = { message: 'Length must be between 0 and 5000', property: 'messages[0].text' };
 */
export interface LineErrorDetail {
  readonly message: string;
  readonly property: string;
}

type Json = Record<string, unknown>;

const TYPES = ['text', 'image', 'video', 'audio', 'location', 'sticker', 'template', 'imagemap', 'flex'];
const ALL_TYPES = new Set([...TYPES, 'textV2']);
const TYPE_LIST = `Must be one of the following values: [${TYPES.join(', ')}]`;
const MAY_NOT_BE_EMPTY = 'May not be empty';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks `messages[]` the way the Messaging API does: 1 to 5 message objects, known types, text within 5,000
 * UTF-16 code units (an emoji such as 🍎 counts two) and at most 20 LINE emoji, media with HTTPS URLs of at most
 * 2,000 characters, audio with a positive `duration` in milliseconds, and the required fields of each type.
 * Returns every problem, with the property path LINE uses (`messages[0].text`).
 *
 * @example
 * validateLineMessages([{ type: 'text', text: '' }]) // [{ message: 'May not be empty', property: 'messages[0].text' }]
 */
export function validateLineMessages(messages: unknown): LineErrorDetail[] {
  const details: LineErrorDetail[] = [];
  if (!Array.isArray(messages)) {
    details.push({ message: MAY_NOT_BE_EMPTY, property: 'messages' });
    return details;
  }
  if (messages.length < 1 || messages.length > 5) {
    details.push({ message: 'Size must be between 1 and 5', property: 'messages' });
  }
  messages.forEach((message: unknown, index) => {
    const at = `messages[${index}]`;
    if (!isObject(message)) {
      details.push({ message: MAY_NOT_BE_EMPTY, property: at });
      return;
    }
    validateMessage(message, at, details);
  });
  return details;
}

function validateMessage(message: Json, at: string, details: LineErrorDetail[]): void {
  const type = message.type;
  if (typeof type !== 'string' || !ALL_TYPES.has(type)) {
    details.push({ message: TYPE_LIST, property: `${at}.type` });
    return;
  }
  const need = (field: string): unknown => {
    const value = message[field];
    if (value === undefined || value === null || value === '') {
      details.push({ message: MAY_NOT_BE_EMPTY, property: `${at}.${field}` });
      return undefined;
    }
    return value;
  };
  const httpsUrl = (field: string): void => {
    const value = need(field);
    if (value === undefined) return;
    if (typeof value !== 'string' || !/^https:\/\/[^\s]+$/.test(value)) {
      details.push({ message: 'Must be a valid HTTPS URL', property: `${at}.${field}` });
    } else if (value.length > 2000) {
      details.push({ message: 'Length must be between 0 and 2000', property: `${at}.${field}` });
    }
  };
  const text = (field: string, max: number): void => {
    const value = need(field);
    if (value === undefined) return;
    // String length in JavaScript is UTF-16 code units, which is what LINE counts.
    if (typeof value !== 'string') details.push({ message: 'Must be a string', property: `${at}.${field}` });
    else if (value.length > max)
      details.push({ message: `Length must be between 0 and ${max}`, property: `${at}.${field}` });
  };
  const number = (field: string): void => {
    const value = need(field);
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      details.push({ message: 'Must be a number', property: `${at}.${field}` });
    }
  };

  switch (type) {
    case 'text':
    case 'textV2': {
      text('text', 5000);
      if (Array.isArray(message.emojis) && message.emojis.length > 20) {
        details.push({ message: 'Size must be between 0 and 20', property: `${at}.emojis` });
      }
      break;
    }
    case 'image':
    case 'video':
      httpsUrl('originalContentUrl');
      httpsUrl('previewImageUrl');
      break;
    case 'audio': {
      httpsUrl('originalContentUrl');
      const duration = need('duration');
      if (
        duration !== undefined &&
        (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1)
      ) {
        details.push({ message: 'Must be a positive integer (milliseconds)', property: `${at}.duration` });
      }
      break;
    }
    case 'location':
      text('title', 100);
      text('address', 100);
      number('latitude');
      number('longitude');
      break;
    case 'sticker':
      text('packageId', 100);
      text('stickerId', 100);
      break;
    case 'template':
      text('altText', 400);
      if (!isObject(message.template))
        details.push({ message: MAY_NOT_BE_EMPTY, property: `${at}.template` });
      break;
    case 'flex':
      text('altText', 1500);
      if (!isObject(message.contents))
        details.push({ message: MAY_NOT_BE_EMPTY, property: `${at}.contents` });
      break;
    case 'imagemap':
      httpsUrl('baseUrl');
      text('altText', 1500);
      if (!isObject(message.baseSize))
        details.push({ message: MAY_NOT_BE_EMPTY, property: `${at}.baseSize` });
      break;
  }
  const quickReply = message.quickReply;
  if (isObject(quickReply) && Array.isArray(quickReply.items) && quickReply.items.length > 13) {
    details.push({ message: 'Size must be between 0 and 13', property: `${at}.quickReply.items` });
  }
  const sender = message.sender;
  if (isObject(sender) && typeof sender.name === 'string' && sender.name.length > 20) {
    details.push({ message: 'Length must be between 0 and 20', property: `${at}.sender.name` });
  }
}

/** A one-line summary for the sandbox page: the text, or `[image]`, `[sticker 446/1988]`. */
export function summarizeLineMessage(message: unknown): string {
  if (!isObject(message)) return '[message]';
  switch (message.type) {
    case 'text':
    case 'textV2':
      return String(message.text);
    case 'sticker':
      return `[sticker ${String(message.packageId)}/${String(message.stickerId)}]`;
    case 'location':
      return `[location ${String(message.title)}]`;
    case 'template':
    case 'flex':
    case 'imagemap':
      return `[${message.type}] ${String(message.altText)}`;
    default:
      return `[${String(message.type)}]`;
  }
}
