// The resume page posts itself; without JavaScript its "Continue" button does the same.
const form = document.getElementById("resume-form");
if (form) form.requestSubmit();
