// A Pinpoint custom-channel function written the way the AWS samples write them
// (aws-samples/amazon-pinpoint-whatsapp-channel, ported to Node): it reads the endpoints Pinpoint hands it and sends
// each a WhatsApp message through Twilio's REST API. Herald must be able to call it unchanged.

const ACCOUNT_SID = process.env.ACCOUNT_SID;
const AUTH_TOKEN = process.env.AUTH_TOKEN;
const TWILIO_API = process.env.TWILIO_API || 'https://api.twilio.com';

function responseObj(statusCode, message) {
  return { statusCode, body: JSON.stringify({ message }) };
}

exports.handler = async (event) => {
  console.log('Pinpoint event for campaign', event.CampaignId, 'activity', event.ActivityId);

  // A valid invocation of this channel by the Pinpoint Service will include Endpoints in the event payload.
  if (!('Endpoints' in event)) {
    return responseObj(500, 'Payload does not contain endpoints.');
  }
  const template = JSON.parse(event.Data).text;

  for (const endpointId of Object.keys(event.Endpoints)) {
    const endpointProfile = event.Endpoints[endpointId];
    const address = endpointProfile.Address;
    const firstName = endpointProfile.User?.UserAttributes?.FirstName?.[0] ?? 'there';
    const message = template.replace('{name}', firstName);

    const response = await fetch(`${TWILIO_API}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ From: 'whatsapp:+14155238886', Body: message, To: `whatsapp:${address}` }),
    });
    if (!response.ok) {
      throw new Error(`Twilio answered ${response.status} for endpoint ${endpointId}`);
    }
  }
  return responseObj(200, 'Complete');
};
