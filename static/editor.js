// StarPunk's editor, with a script: photos chosen, dropped onto the editor
// or pasted into it are sent to the site at once (each shown while it
// uploads), and moved or removed without a round trip. The editor does all
// of this without the script too, with its buttons; the form it submits is
// the same either way.
(function () {
  "use strict";

  var field = document.getElementById("photos");
  var template = document.getElementById("photo-item-template");
  if (!field || !template || !window.fetch || !window.FormData || !window.FileReader) {
    return;
  }
  var form = field.closest("form");
  var list = field.querySelector(".photo-list");
  var input = document.getElementById("photo-files");
  var status = field.querySelector(".photos-status");
  var csrf = form.querySelector('input[name="csrf"]').value;
  var maxBytes = Number(field.dataset.maxBytes);
  var maxPhotos = Number(field.dataset.maxPhotos);
  var uploading = 0;
  var dragged = null;

  field.classList.add("enhanced");
  field.querySelector('button[value="add-photos"]').hidden = true;
  field.querySelector('label[for="photo-files"]').textContent =
    "Choose photos to add (or drop or paste them onto the editor)";

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll(".photo-item"));
  }

  function say(message) {
    status.textContent = message;
  }

  // A file that was not added, named next to the photo field.
  function refuse(name, reason) {
    var problems = document.getElementById("photos-error");
    if (!problems) {
      problems = document.createElement("ul");
      problems.id = "photos-error";
      problems.className = "field-error";
      status.parentNode.insertBefore(problems, status);
      input.setAttribute("aria-describedby", "photos-hint photos-error");
    }
    var line = document.createElement("li");
    line.textContent = name + ": " + reason.replace(/\.?$/, ".");
    problems.appendChild(line);
    input.setAttribute("aria-invalid", "true");
  }

  // Labels, ids and button values follow each photo's place, as the page
  // the site sends numbers them.
  function renumber() {
    var all = items();
    all.forEach(function (item, index) {
      var number = index + 1;
      var alt = item.querySelector('input[name="photo_alt"]');
      var label = item.querySelector("label");
      var error = item.querySelector(".field-error");
      alt.id = "photo-alt-" + number;
      label.htmlFor = alt.id;
      label.textContent = "Description of photo " + number + " (alt text)";
      if (error) {
        error.id = "photo-alt-error-" + number;
        alt.setAttribute("aria-describedby", error.id);
      }
      item.querySelectorAll(".photo-actions button").forEach(function (button) {
        var kind = button.value.replace(/-\d+$/, "-");
        button.value = kind + index;
        button.querySelector(".visually-hidden").textContent = " photo " + number;
        if (kind === "photo-up-") {
          button.disabled = index === 0;
        } else if (kind === "photo-down-") {
          button.disabled = index === all.length - 1;
        }
      });
      item.draggable = true;
    });
  }

  function move(item, button) {
    var kind = button.value.replace(/-\d+$/, "-");
    if (kind === "photo-up-" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (kind === "photo-down-" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    } else if (kind === "photo-remove-") {
      var next = item.nextElementSibling || item.previousElementSibling;
      if (item.upload) {
        item.upload.abort();
      }
      item.remove();
      renumber();
      say("Photo removed.");
      (next ? next.querySelector('input[name="photo_alt"]') : input).focus();
      return;
    }
    renumber();
    // Focus stays with the photo; at either end, on the button still usable.
    var other = item.querySelector(
      kind === "photo-up-" ? 'button[value^="photo-down-"]' : 'button[value^="photo-up-"]');
    (button.disabled ? other : button).focus();
    say("Photo moved to place " + (items().indexOf(item) + 1) + ".");
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !list.contains(button)) {
      return;
    }
    event.preventDefault();
    move(button.closest(".photo-item"), button);
  });

  function upload(file) {
    var item = template.content.firstElementChild.cloneNode(true);
    var thumb = item.querySelector(".photo-thumb");
    var progress = document.createElement("p");
    progress.className = "photo-progress";
    progress.textContent = "Uploading " + file.name + "…";
    item.querySelector(".photo-fields").insertBefore(progress, item.querySelector("label"));
    item.classList.add("uploading");
    list.appendChild(item);
    renumber();

    var reader = new FileReader();
    reader.onload = function () {
      if (item.classList.contains("uploading")) {
        thumb.src = reader.result;
      }
    };
    reader.readAsDataURL(file);

    var body = new FormData();
    body.append("csrf", csrf);
    body.append("file", file, file.name);
    var controller = new AbortController();
    item.upload = controller;
    uploading += 1;
    fetch(field.dataset.upload, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) {
            throw new Error(answer.error_description ||
              "the site answered " + response.status + " " + response.statusText);
          }
          return answer;
        });
      })
      .then(function (answer) {
        item.querySelector('input[name="photo_url"]').value = answer.url;
        thumb.src = answer.thumbnail;
        if (answer.width && answer.height) {
          thumb.width = answer.width;
          thumb.height = answer.height;
        }
        item.classList.remove("uploading");
        progress.remove();
        say("Added " + file.name + ". Describe it in its field.");
      })
      .catch(function (error) {
        if (error.name === "AbortError") {
          return;
        }
        item.remove();
        renumber();
        refuse(file.name, error.message);
      })
      .finally(function () {
        item.upload = null;
        uploading -= 1;
      });
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      if (items().length >= maxPhotos) {
        refuse(file.name, "not added: a note may have at most " + maxPhotos + " photos");
      } else if (file.size > maxBytes) {
        refuse(file.name, "the file is larger than " + field.dataset.maxSize +
          ", the most this site takes. Make it smaller and add it again");
      } else {
        upload(file);
      }
    });
  }

  input.addEventListener("change", function () {
    add(input.files);
    // Sent already: not again with the form.
    input.value = "";
  });

  function carriesFiles(event) {
    return !dragged && event.dataTransfer &&
      Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }

  form.addEventListener("dragover", function (event) {
    if (carriesFiles(event)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      field.classList.add("dropping");
    }
  });
  form.addEventListener("dragleave", function (event) {
    if (!form.contains(event.relatedTarget)) {
      field.classList.remove("dropping");
    }
  });
  form.addEventListener("drop", function (event) {
    if (carriesFiles(event)) {
      event.preventDefault();
      field.classList.remove("dropping");
      add(event.dataTransfer.files);
    }
  });

  form.addEventListener("paste", function (event) {
    var files = Array.prototype.filter.call(
      (event.clipboardData && event.clipboardData.files) || [],
      function (file) { return file.type.indexOf("image/") === 0; });
    if (files.length > 0) {
      event.preventDefault();
      add(files);
    }
  });

  // Reordering by dragging a photo to its new place.
  list.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest(".photo-item");
    if (!item || event.target.matches("input")) {
      return;
    }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.querySelector('input[name="photo_url"]').value);
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) {
      return;
    }
    event.preventDefault();
    var over = event.target.closest(".photo-item");
    if (over && over !== dragged) {
      var box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    }
  });
  list.addEventListener("drop", function (event) {
    if (dragged) {
      event.preventDefault();
    }
  });
  list.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
      dragged = null;
      renumber();
      say("Photos reordered.");
    }
  });

  form.addEventListener("submit", function (event) {
    if (uploading > 0) {
      event.preventDefault();
      say("Photos are still uploading: wait until they are done, then try again.");
    }
  });

  renumber();
})();
