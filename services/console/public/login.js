// Sign-in: the key goes in a POST body once; the browser keeps only an HttpOnly session cookie.
document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = document.getElementById('key').value;
  const message = document.getElementById('message');
  message.textContent = '';
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  if (response.ok) {
    window.location.assign('/explorer');
  } else {
    message.textContent =
      response.status === 401 ? 'Wrong key.' : `Sign-in failed (${response.status}).`;
  }
});
