"""Models as people write them: keras.io examples and course material, made tiny.

``MODELS`` maps a name to ``(source, builder)``. Each builder is written here from
what its source describes (the architecture carries over, the code is our own),
shrunk to a few units and a small input so that the whole collection round-trips
in seconds, with a fixed name on every layer. Nothing downloads weights.

``tests/test_model_collection.py`` puts each one through ``to_spec → to_yaml →
load_spec → build`` and requires it to come back exact or be refused. Run
``python -m tests.model_collection`` for the same as a table (name, source,
outcome, reason) whose figures can be quoted.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import kerasguide._keras as _k

Builder = Callable[[], Any]
MODELS: dict[str, tuple[str, Builder]] = {}

VOCAB = 20  # every Embedding has at least this many rows; test tokens are below 10
MAXLEN = 8  # tokens per text
DIM = 8  # embedding width


def _register(name: str, source: str) -> Callable[[Builder], Builder]:
    def add(builder: Builder) -> Builder:
        MODELS[name] = (source, builder)
        return builder

    return add


@contextlib.contextmanager
def _image_data_format(value: str) -> Iterator[None]:
    config = _k.keras().config
    saved = config.image_data_format()
    config.set_image_data_format(value)
    try:
        yield
    finally:
        config.set_image_data_format(saved)


@contextlib.contextmanager
def _floatx(value: str) -> Iterator[None]:
    config = _k.keras().config
    saved = config.floatx()
    config.set_floatx(value)
    try:
        yield
    finally:
        config.set_floatx(saved)


# --- dense networks and convnets --------------------------------------------------


@_register("mnist_convnet", "keras.io/examples/vision/mnist_convnet")
def mnist_convnet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((12, 12, 1), name="image"),
            layers.Conv2D(4, 3, activation="relu", name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(8, 3, activation="relu", name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.5, name="dropout"),
            layers.Dense(10, activation="softmax", name="classes"),
        ],
        name="mnist_convnet",
    )


@_register("fashion_mlp", "TensorFlow tutorial: Basic classification: Classify images of clothing")
def fashion_mlp() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8), name="image"),
            layers.Flatten(name="flatten"),
            layers.Dense(16, activation="relu", name="hidden"),
            layers.Dense(10, name="logits"),
        ],
        name="fashion_mlp",
    )


@_register(
    "regression_normalized", "TensorFlow tutorial: Basic regression: Predict fuel efficiency"
)
def regression_normalized() -> Any:
    keras = _k.keras()
    layers = keras.layers
    normalizer = layers.Normalization(axis=-1, name="normalizer")
    normalizer.adapt(np.random.default_rng(0).normal(3.0, 2.0, (32, 5)).astype("float32"))
    return keras.Sequential(
        [
            keras.Input((5,), name="features"),
            normalizer,
            layers.Dense(8, activation="relu", name="hidden_1"),
            layers.Dense(8, activation="relu", name="hidden_2"),
            layers.Dense(1, name="mpg"),
        ],
        name="regression_normalized",
    )


@_register("wide_and_deep", "Géron, Hands-On Machine Learning 3e, ch. 10 (Wide & Deep)")
def wide_and_deep() -> Any:
    keras = _k.keras()
    layers = keras.layers
    wide = keras.Input((5,), name="wide")
    deep = keras.Input((6,), name="deep")
    hidden = layers.Dense(8, activation="relu", name="hidden_1")(deep)
    hidden = layers.Dense(8, activation="relu", name="hidden_2")(hidden)
    merged = layers.concatenate([wide, hidden], name="concat")
    main = layers.Dense(1, name="main_output")(merged)
    aux = layers.Dense(1, name="aux_output")(hidden)
    return keras.Model([wide, deep], [main, aux], name="wide_and_deep")


@_register("lenet5", "LeCun et al. 1998, as in Dive into Deep Learning (d2l.ai) ch. 7.6")
def lenet5() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((16, 16, 1), name="image"),
            layers.Conv2D(6, 5, padding="same", activation="sigmoid", name="c1"),
            layers.AveragePooling2D(2, strides=2, name="s2"),
            layers.Conv2D(16, 5, activation="sigmoid", name="c3"),
            layers.AveragePooling2D(2, strides=2, name="s4"),
            layers.Flatten(name="flatten"),
            layers.Dense(12, activation="sigmoid", name="f5"),
            layers.Dense(8, activation="sigmoid", name="f6"),
            layers.Dense(10, name="output"),
        ],
        name="lenet5",
    )


@_register("cats_vs_dogs_convnet", "Chollet, Deep Learning with Python 2e, ch. 8")
def cats_vs_dogs_convnet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((18, 18, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = layers.Conv2D(4, 3, activation="relu", name="conv_1")(x)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Conv2D(8, 3, activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="is_dog")(x)
    return keras.Model(inputs, outputs, name="cats_vs_dogs_convnet")


@_register("augmented_convnet", "TensorFlow tutorial: Image classification (data augmentation)")
def augmented_convnet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((12, 12, 3), name="image"),
            layers.RandomFlip("horizontal", name="flip"),
            layers.RandomRotation(0.1, name="rotate"),
            layers.RandomZoom(0.1, name="zoom"),
            layers.Rescaling(1.0 / 255, name="rescale"),
            layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
            layers.MaxPooling2D(name="pool"),
            layers.Dropout(0.2, name="dropout"),
            layers.Flatten(name="flatten"),
            layers.Dense(5, name="logits"),
        ],
        name="augmented_convnet",
    )


@_register("mini_xception", "keras.io/examples/vision/image_classification_from_scratch")
def mini_xception() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((16, 16, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = layers.Conv2D(8, 3, strides=2, padding="same", name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    previous = x
    x = layers.Activation("relu", name="block_relu_1")(x)
    x = layers.SeparableConv2D(12, 3, padding="same", name="block_sep_1")(x)
    x = layers.BatchNormalization(name="block_bn_1")(x)
    x = layers.Activation("relu", name="block_relu_2")(x)
    x = layers.SeparableConv2D(12, 3, padding="same", name="block_sep_2")(x)
    x = layers.BatchNormalization(name="block_bn_2")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="block_pool")(x)
    residual = layers.Conv2D(12, 1, strides=2, padding="same", name="residual")(previous)
    x = layers.add([x, residual], name="block_add")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.25, name="dropout")(x)
    outputs = layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, outputs, name="mini_xception")


@_register("toy_resnet", "keras.io/guides/functional_api (a toy ResNet model)")
def toy_resnet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((16, 16, 3), name="img")
    x = layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = layers.Conv2D(8, 3, activation="relu", name="conv_b")(x)
    block_1 = layers.MaxPooling2D(3, name="pool")(x)
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="conv_c")(block_1)
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="conv_d")(x)
    block_2 = layers.add([x, block_1], name="add_1")
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="conv_e")(block_2)
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="conv_f")(x)
    block_3 = layers.add([x, block_2], name="add_2")
    x = layers.Conv2D(8, 3, activation="relu", name="conv_g")(block_3)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(8, activation="relu", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


@_register(
    "dcgan_generator", "keras.io/examples/generative/dcgan_overriding_train_step (generator)"
)
def dcgan_generator() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((6,), name="latent"),
            layers.Dense(4 * 4 * 8, name="project"),
            layers.Reshape((4, 4, 8), name="reshape"),
            layers.Conv2DTranspose(8, 4, strides=2, padding="same", name="up_1"),
            layers.LeakyReLU(negative_slope=0.2, name="leaky_1"),
            layers.Conv2DTranspose(4, 4, strides=2, padding="same", name="up_2"),
            layers.LeakyReLU(negative_slope=0.2, name="leaky_2"),
            layers.Conv2D(3, 5, padding="same", activation="sigmoid", name="rgb"),
        ],
        name="dcgan_generator",
    )


# --- global settings -----------------------------------------------------------------


@_register(
    "channels_first_convnet",
    "Chollet, Deep Learning with Python 2e, ch. 8 convnet, under "
    "keras.config.set_image_data_format('channels_first')",
)
def channels_first_convnet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    with _image_data_format("channels_first"):
        inputs = keras.Input((3, 10, 10), name="image")
        x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
        x = layers.MaxPooling2D(2, name="pool")(x)
        x = layers.BatchNormalization(axis=1, name="bn")(x)
        x = layers.Flatten(name="flatten")(x)
        outputs = layers.Dense(3, activation="softmax", name="classes")(x)
        return keras.Model(inputs, outputs, name="channels_first_convnet")


@_register(
    "float64_regression",
    "TensorFlow tutorial: Basic regression (DNN), under keras.config.set_floatx('float64')",
)
def float64_regression() -> Any:
    keras = _k.keras()
    layers = keras.layers
    with _floatx("float64"):
        inputs = keras.Input((5,), name="features")
        x = layers.Dense(8, activation="relu", name="hidden")(inputs)
        outputs = layers.Dense(1, name="target")(x)
        return keras.Model(inputs, outputs, name="float64_regression")


# --- autoencoders, U-Nets, generative -------------------------------------------------


@_register("dense_autoencoder", "blog.keras.io/building-autoencoders-in-keras.html")
def dense_autoencoder() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((16,), name="image")
    encoded = layers.Dense(4, activation="relu", name="encoded")(inputs)
    decoded = layers.Dense(16, activation="sigmoid", name="decoded")(encoded)
    return keras.Model(inputs, decoded, name="dense_autoencoder")


@_register(
    "stacked_autoencoder",
    "Géron, Hands-On Machine Learning 3e, ch. 17 (stacked autoencoder of two Sequentials)",
)
def stacked_autoencoder() -> Any:
    keras = _k.keras()
    layers = keras.layers
    encoder = keras.Sequential(
        [
            keras.Input((6, 6), name="encoder_input"),
            layers.Flatten(name="flatten"),
            layers.Dense(12, activation="relu", name="enc_1"),
            layers.Dense(4, activation="relu", name="codings"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input((4,), name="decoder_input"),
            layers.Dense(12, activation="relu", name="dec_1"),
            layers.Dense(36, name="dec_2"),
            layers.Reshape((6, 6), name="reshape"),
        ],
        name="decoder",
    )
    return keras.Sequential([keras.Input((6, 6), name="x"), encoder, decoder], name="stacked_ae")


@_register("conv_autoencoder", "keras.io/examples/vision/autoencoder")
def conv_autoencoder() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((12, 12, 1), name="image")
    x = layers.Conv2D(4, 3, activation="relu", padding="same", name="enc_conv_1")(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="enc_pool_1")(x)
    x = layers.Conv2D(4, 3, activation="relu", padding="same", name="enc_conv_2")(x)
    x = layers.MaxPooling2D(2, padding="same", name="enc_pool_2")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, activation="relu", padding="same", name="dec_1")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, activation="relu", padding="same", name="dec_2")(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same", name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="conv_autoencoder")


def _vae_trunk(keras: Any) -> tuple[Any, Any, Any]:
    layers = keras.layers
    inputs = keras.Input((12, 12, 1), name="image")
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    z_mean = layers.Dense(2, name="z_mean")(x)
    z_log_var = layers.Dense(2, name="z_log_var")(x)
    return inputs, z_mean, z_log_var


@_register("vae_encoder", "keras.io/examples/generative/vae (encoder, without the sampling)")
def vae_encoder() -> Any:
    keras = _k.keras()
    inputs, z_mean, z_log_var = _vae_trunk(keras)
    return keras.Model(inputs, [z_mean, z_log_var], name="vae_encoder")


def _sampling_class(keras: Any) -> type:
    class Sampling(keras.layers.Layer):  # type: ignore[misc]
        """z = mean + exp(log_var / 2) * epsilon, the reparameterisation trick."""

        def call(self, inputs: Any) -> Any:
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(keras.ops.shape(z_mean), seed=1)
            return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon

    return Sampling


@_register(
    "vae_encoder_sampling", "keras.io/examples/generative/vae (encoder with its Sampling layer)"
)
def vae_encoder_sampling() -> Any:
    keras = _k.keras()
    inputs, z_mean, z_log_var = _vae_trunk(keras)
    z = _sampling_class(keras)(name="sampling")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="vae_encoder")


def _unet_down(layers: Any, x: Any, filters: int, name: str) -> Any:
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv_1")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv_2")(x)


@_register(
    "unet",
    "Ronneberger et al. 2015 U-Net, as in the TensorFlow tutorial Image segmentation "
    "(Conv2DTranspose upsampling, concatenated skips)",
)
def unet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((16, 16, 3), name="image")
    d1 = _unet_down(layers, inputs, 4, "down_1")
    p1 = layers.MaxPooling2D(name="pool_1")(d1)
    d2 = _unet_down(layers, p1, 8, "down_2")
    p2 = layers.MaxPooling2D(name="pool_2")(d2)
    bottom = _unet_down(layers, p2, 16, "bottom")
    u2 = layers.Conv2DTranspose(8, 2, strides=2, padding="same", name="up_2")(bottom)
    u2 = layers.concatenate([u2, d2], name="skip_2")
    u2 = _unet_down(layers, u2, 8, "up_2_block")
    u1 = layers.Conv2DTranspose(4, 2, strides=2, padding="same", name="up_1")(u2)
    u1 = layers.concatenate([u1, d1], axis=-1, name="skip_1")
    u1 = _unet_down(layers, u1, 4, "up_1_block")
    outputs = layers.Conv2D(3, 1, activation="softmax", name="mask")(u1)
    return keras.Model(inputs, outputs, name="unet")


@_register("oxford_pets_unet", "keras.io/examples/vision/oxford_pets_image_segmentation")
def oxford_pets_unet() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(4, 3, strides=2, padding="same", name="stem")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    previous = x
    x = layers.Activation("relu", name="down_relu")(x)
    x = layers.SeparableConv2D(8, 3, padding="same", name="down_sep")(x)
    x = layers.BatchNormalization(name="down_bn")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="down_pool")(x)
    residual = layers.Conv2D(8, 1, strides=2, padding="same", name="down_residual")(previous)
    x = layers.add([x, residual], name="down_add")
    previous = x
    x = layers.Activation("relu", name="up_relu")(x)
    x = layers.Conv2DTranspose(8, 3, padding="same", name="up_transpose")(x)
    x = layers.BatchNormalization(name="up_bn")(x)
    x = layers.UpSampling2D(2, name="up_sample")(x)
    residual = layers.UpSampling2D(2, name="up_residual_sample")(previous)
    residual = layers.Conv2D(8, 1, padding="same", name="up_residual")(residual)
    x = layers.add([x, residual], name="up_add")
    x = layers.UpSampling2D(2, name="final_sample")(x)
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same", name="mask")(x)
    return keras.Model(inputs, outputs, name="oxford_pets_unet")


# --- Siamese networks, several inputs and outputs, dicts -------------------------------


@_register(
    "siamese_contrastive",
    "keras.io/examples/vision/siamese_contrastive (shared embedding network, "
    "Euclidean distance written with keras.ops)",
)
def siamese_contrastive() -> Any:
    keras = _k.keras()
    layers = keras.layers
    ops = keras.ops
    embed_in = keras.Input((8, 8, 1), name="embed_in")
    x = layers.BatchNormalization(name="embed_bn_1")(embed_in)
    x = layers.Conv2D(4, 3, activation="tanh", name="embed_conv")(x)
    x = layers.AveragePooling2D(2, name="embed_pool")(x)
    x = layers.Flatten(name="embed_flatten")(x)
    x = layers.BatchNormalization(name="embed_bn_2")(x)
    x = layers.Dense(6, activation="tanh", name="embed_dense")(x)
    embedding = keras.Model(embed_in, x, name="embedding")
    left = keras.Input((8, 8, 1), name="left")
    right = keras.Input((8, 8, 1), name="right")
    a, b = embedding(left), embedding(right)
    squared = ops.sum(ops.square(a - b), axis=1, keepdims=True)
    distance = ops.sqrt(ops.maximum(squared, 1e-7))
    x = layers.BatchNormalization(name="distance_bn")(distance)
    outputs = layers.Dense(1, activation="sigmoid", name="same")(x)
    return keras.Model([left, right], outputs, name="siamese_contrastive")


@_register("shared_text_encoder", "keras.io/guides/functional_api (shared layers)")
def shared_text_encoder() -> Any:
    keras = _k.keras()
    layers = keras.layers
    text_a = keras.Input((None,), dtype="int32", name="text_a")
    text_b = keras.Input((None,), dtype="int32", name="text_b")
    embedding = layers.Embedding(VOCAB, DIM, name="shared_embedding")
    encoder = layers.LSTM(4, name="shared_lstm")
    a = encoder(embedding(text_a))
    b = encoder(embedding(text_b))
    merged = layers.concatenate([a, b], name="merged")
    outputs = layers.Dense(1, activation="sigmoid", name="same_meaning")(merged)
    return keras.Model([text_a, text_b], outputs, name="shared_text_encoder")


def _ticket_tensors(keras: Any) -> tuple[list[Any], Any, Any]:
    layers = keras.layers
    title = keras.Input((None,), dtype="int32", name="title")
    body = keras.Input((None,), dtype="int32", name="body")
    tags = keras.Input((5,), name="tags")
    title_features = layers.LSTM(4, name="title_lstm")(
        layers.Embedding(VOCAB, DIM, name="title_embedding")(title)
    )
    body_features = layers.LSTM(4, name="body_lstm")(
        layers.Embedding(VOCAB, DIM, name="body_embedding")(body)
    )
    x = layers.concatenate([title_features, body_features, tags], name="features")
    priority = layers.Dense(1, name="priority")(x)
    department = layers.Dense(3, name="department")(x)
    return [title, body, tags], priority, department


@_register(
    "ticket_multi_io", "keras.io/guides/functional_api (models with multiple inputs and outputs)"
)
def ticket_multi_io() -> Any:
    keras = _k.keras()
    inputs, priority, department = _ticket_tensors(keras)
    return keras.Model(inputs, [priority, department], name="ticket_classifier")


@_register(
    "ticket_dict_io", "Chollet, Deep Learning with Python 2e, ch. 7 (dicts of inputs and outputs)"
)
def ticket_dict_io() -> Any:
    keras = _k.keras()
    (title, body, tags), priority, department = _ticket_tensors(keras)
    return keras.Model(
        {"title": title, "body": body, "tags": tags},
        {"priority": priority, "department": department},
        name="ticket_classifier",
    )


@_register(
    "structured_dict_inputs",
    "TensorFlow tutorial: Classify structured data using Keras preprocessing layers "
    "(a dict of feature inputs)",
)
def structured_dict_inputs() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = {name: keras.Input((1,), name=name) for name in ("age", "fee", "photos")}
    x = layers.concatenate(list(inputs.values()), name="all_features")
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(1, name="adopted")(x)
    return keras.Model(inputs, outputs, name="structured_data")


@_register(
    "dict_inputs_other_keys",
    "TensorFlow tutorial: Classify structured data, with dict keys that are not the "
    "Input names (Keras warns about this but accepts it)",
)
def dict_inputs_other_keys() -> Any:
    keras = _k.keras()
    layers = keras.layers
    age = keras.Input((1,), name="age_input")
    fee = keras.Input((1,), name="fee_input")
    x = layers.concatenate([age, fee], name="all_features")
    outputs = layers.Dense(1, name="adopted")(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "all keys in the dict must match"
        return keras.Model({"age": age, "fee": fee}, outputs, name="structured_data")


# --- training flags and frozen bases ---------------------------------------------------


@_register(
    "mc_dropout",
    "Géron, Hands-On Machine Learning 3e, ch. 11 (Monte Carlo dropout: "
    "Dropout(...)(x, training=True))",
)
def mc_dropout() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((6,), name="features")
    x = layers.Dense(8, activation="relu", name="hidden_1")(inputs)
    x = layers.Dropout(0.3, name="mc_dropout_1")(x, training=True)
    x = layers.Dense(8, activation="relu", name="hidden_2")(x)
    x = layers.Dropout(0.3, name="mc_dropout_2")(x, training=True)
    outputs = layers.Dense(3, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="mc_dropout")


@_register(
    "batchnorm_inference",
    "keras.io/guides/transfer_learning (BatchNormalization called with training=False)",
)
def batchnorm_inference() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((6,), name="features")
    x = layers.Dense(8, name="hidden")(inputs)
    x = layers.BatchNormalization(momentum=0.9, name="frozen_bn")(x, training=False)
    x = layers.Activation("relu", name="relu")(x)
    outputs = layers.Dense(1, name="output")(x)
    return keras.Model(inputs, outputs, name="batchnorm_inference")


@_register(
    "frozen_base_fine_tuning",
    "keras.io/guides/transfer_learning (frozen base model called with training=False)",
)
def frozen_base_fine_tuning() -> Any:
    keras = _k.keras()
    layers = keras.layers
    base = keras.Sequential(
        [
            keras.Input((10, 10, 3), name="base_input"),
            layers.Conv2D(4, 3, name="base_conv"),
            layers.BatchNormalization(name="base_bn"),
            layers.Activation("relu", name="base_relu"),
            layers.Dropout(0.2, name="base_dropout"),
        ],
        name="base_model",
    )
    base.trainable = False
    inputs = keras.Input((10, 10, 3), name="image")
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="top_dropout")(x)
    outputs = layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, outputs, name="fine_tuning")


@_register(
    "mobilenetv2_transfer",
    "TensorFlow tutorial: Transfer learning and fine-tuning (MobileNetV2 base, weights=None here)",
)
def mobilenetv2_transfer() -> Any:
    keras = _k.keras()
    layers = keras.layers
    base = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None
    )
    base.trainable = False
    augment = keras.Sequential(
        [layers.RandomFlip("horizontal", name="flip"), layers.RandomRotation(0.2, name="rotate")],
        name="data_augmentation",
    )
    inputs = keras.Input((32, 32, 3), name="image")
    x = augment(inputs)
    x = layers.Rescaling(1.0 / 127.5, offset=-1, name="preprocess")(x)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, outputs, name="mobilenetv2_transfer")


# --- recurrent networks --------------------------------------------------------------


@_register(
    "masked_embedding_lstm",
    "keras.io/guides/understanding_masking_and_padding (Embedding(mask_zero=True) → LSTM)",
)
def masked_embedding_lstm() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, DIM, mask_zero=True, name="embedding")(inputs)
    x = layers.LSTM(4, name="lstm")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="positive")(x)
    return keras.Model(inputs, outputs, name="masked_embedding_lstm")


@_register(
    "rnn_text_classifier",
    "TensorFlow tutorial: Text classification with an RNN "
    "(Sequential, Embedding(mask_zero=True) → Bidirectional(LSTM))",
)
def rnn_text_classifier() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((MAXLEN,), dtype="int32", name="tokens"),
            layers.Embedding(VOCAB, DIM, mask_zero=True, name="embedding"),
            layers.Bidirectional(layers.LSTM(4), name="bilstm"),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(1, name="logit"),
        ],
        name="rnn_text_classifier",
    )


@_register("masking_lstm", "keras.io/guides/understanding_masking_and_padding (Masking → LSTM)")
def masking_lstm() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((MAXLEN, 3), name="series")
    x = layers.Masking(mask_value=0.0, name="masking")(inputs)
    x = layers.LSTM(4, name="lstm")(x)
    outputs = layers.Dense(1, name="output")(x)
    return keras.Model(inputs, outputs, name="masking_lstm")


@_register("bidirectional_lstm_imdb", "keras.io/examples/nlp/bidirectional_lstm_imdb")
def bidirectional_lstm_imdb() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, DIM, name="embedding")(inputs)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True), name="bilstm_1")(x)
    x = layers.Bidirectional(layers.LSTM(4), name="bilstm_2")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="positive")(x)
    return keras.Model(inputs, outputs, name="bidirectional_lstm_imdb")


@_register(
    "gru_weather", "Chollet, Deep Learning with Python 2e, ch. 10 (GRU with recurrent dropout)"
)
def gru_weather() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((12, 4), name="weather")
    x = layers.GRU(6, recurrent_dropout=0.25, name="gru")(inputs)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(1, name="temperature")(x)
    return keras.Model(inputs, outputs, name="gru_weather")


@_register("deep_simple_rnn", "Géron, Hands-On Machine Learning 3e, ch. 15 (deep RNN)")
def deep_simple_rnn() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((None, 1), name="series"),
            layers.SimpleRNN(5, return_sequences=True, name="rnn_1"),
            layers.SimpleRNN(5, return_sequences=True, name="rnn_2"),
            layers.TimeDistributed(layers.Dense(2), name="forecast"),
        ],
        name="deep_simple_rnn",
    )


@_register("char_lstm", "keras.io/examples/generative/lstm_character_level_text_generation")
def char_lstm() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((MAXLEN, 6), name="one_hot_chars"),
            layers.LSTM(8, name="lstm"),
            layers.Dense(6, activation="softmax", name="next_char"),
        ],
        name="char_lstm",
    )


@_register(
    "stateful_char_rnn",
    "Géron, Hands-On Machine Learning 2e, ch. 16 (stateful char-RNN, fixed batch size)",
)
def stateful_char_rnn() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((None,), batch_size=2, dtype="int32", name="chars")
    x = layers.Embedding(VOCAB, DIM, name="embedding")(inputs)
    x = layers.GRU(6, return_sequences=True, stateful=True, name="gru_1")(x)
    x = layers.GRU(6, return_sequences=True, stateful=True, name="gru_2")(x)
    outputs = layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax"), name="next")(x)
    return keras.Model(inputs, outputs, name="stateful_char_rnn")


@_register("conv_lstm", "keras.io/examples/vision/conv_lstm (next-frame prediction)")
def conv_lstm() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((None, 8, 8, 1), name="frames")
    x = layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True, name="conv_lstm_1")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ConvLSTM2D(4, 1, padding="same", return_sequences=True, name="conv_lstm_2")(x)
    outputs = layers.Conv3D(1, 3, activation="sigmoid", padding="same", name="next_frame")(x)
    return keras.Model(inputs, outputs, name="conv_lstm")


@_register("lstm_seq2seq", "keras.io/examples/nlp/lstm_seq2seq (training model)")
def lstm_seq2seq() -> Any:
    keras = _k.keras()
    layers = keras.layers
    encoder_inputs = keras.Input((None, 5), name="encoder_inputs")
    _, state_h, state_c = layers.LSTM(6, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input((None, 7), name="decoder_inputs")
    decoder = layers.LSTM(6, return_sequences=True, return_state=True, name="decoder")
    sequence, _, _ = decoder(decoder_inputs, initial_state=[state_h, state_c])
    outputs = layers.Dense(7, activation="softmax", name="next_token")(sequence)
    return keras.Model([encoder_inputs, decoder_inputs], outputs, name="lstm_seq2seq")


@_register(
    "nmt_additive_attention",
    "TensorFlow tutorial: Neural machine translation with attention (GRU encoder and "
    "decoder, initial_state, AdditiveAttention)",
)
def nmt_additive_attention() -> Any:
    keras = _k.keras()
    layers = keras.layers
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target_in")
    encoded = layers.Embedding(VOCAB, DIM, name="source_embedding")(source)
    encoded, state = layers.GRU(6, return_sequences=True, return_state=True, name="encoder")(
        encoded
    )
    decoded = layers.Embedding(VOCAB, DIM, name="target_embedding")(target)
    decoded = layers.GRU(6, return_sequences=True, name="decoder")(decoded, initial_state=state)
    context = layers.AdditiveAttention(name="attention")([decoded, encoded])
    x = layers.concatenate([context, decoded], name="context_and_decoded")
    outputs = layers.Dense(VOCAB, name="logits")(x)
    return keras.Model([source, target], outputs, name="nmt_additive_attention")


# --- 1D convolutions --------------------------------------------------------------------


@_register("conv1d_text", "keras.io/examples/nlp/text_classification_from_scratch")
def conv1d_text() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((None,), dtype="int64", name="tokens")
    x = layers.Embedding(VOCAB, DIM, name="embedding")(inputs)
    x = layers.Dropout(0.5, name="dropout_1")(x)
    x = layers.Conv1D(8, 3, padding="valid", activation="relu", strides=1, name="conv_1")(x)
    x = layers.Conv1D(8, 3, padding="valid", activation="relu", strides=1, name="conv_2")(x)
    x = layers.GlobalMaxPooling1D(name="max_pool")(x)
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.5, name="dropout_2")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="positive")(x)
    return keras.Model(inputs, outputs, name="conv1d_text")


@_register(
    "conv1d_timeseries", "keras.io/examples/timeseries/timeseries_classification_from_scratch"
)
def conv1d_timeseries() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((MAXLEN, 1), name="series")
    x = inputs
    for i in (1, 2):
        x = layers.Conv1D(4, 3, padding="same", name=f"conv_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    outputs = layers.Dense(2, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="conv1d_timeseries")


@_register("text_embedding_bag", "TensorFlow tutorial: Basic text classification")
def text_embedding_bag() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((MAXLEN,), dtype="int32", name="tokens"),
            layers.Embedding(VOCAB, DIM, name="embedding"),
            layers.Dropout(0.2, name="dropout_1"),
            layers.GlobalAveragePooling1D(name="average"),
            layers.Dropout(0.2, name="dropout_2"),
            layers.Dense(1, name="logit"),
        ],
        name="text_embedding_bag",
    )


# --- attention and Transformers --------------------------------------------------------


def _attention_inputs(keras: Any) -> tuple[Any, Any, Any, Any]:
    layers = keras.layers
    query_tokens = keras.Input((None,), dtype="int32", name="query_tokens")
    value_tokens = keras.Input((None,), dtype="int32", name="value_tokens")
    embedding = layers.Embedding(VOCAB, DIM, name="token_embedding")
    conv = layers.Conv1D(4, 3, padding="same", name="cnn")
    return query_tokens, value_tokens, conv(embedding(query_tokens)), conv(embedding(value_tokens))


def _attention_head(keras: Any, query: Any, attended: Any) -> Any:
    layers = keras.layers
    query_encoding = layers.GlobalAveragePooling1D(name="query_pool")(query)
    attended_encoding = layers.GlobalAveragePooling1D(name="attended_pool")(attended)
    x = layers.Concatenate(name="both")([query_encoding, attended_encoding])
    return layers.Dense(1, name="score")(x)


@_register(
    "attention_layer", "keras.io/api/layers/attention_layers/attention (query-value CNN example)"
)
def attention_layer() -> Any:
    keras = _k.keras()
    q_in, v_in, query, value = _attention_inputs(keras)
    attended = keras.layers.Attention(name="attention")([query, value])
    outputs = _attention_head(keras, query, attended)
    return keras.Model([q_in, v_in], outputs, name="attention_layer")


@_register(
    "causal_attention_layer",
    "keras.io/api/layers/attention_layers/attention (call argument use_causal_mask=True)",
)
def causal_attention_layer() -> Any:
    keras = _k.keras()
    q_in, v_in, query, value = _attention_inputs(keras)
    attended = keras.layers.Attention(name="attention")([query, value], use_causal_mask=True)
    outputs = _attention_head(keras, query, attended)
    return keras.Model([q_in, v_in], outputs, name="causal_attention_layer")


@_register("softmax_with_mask", "keras.io/api/layers/activation_layers/softmax (call with a mask)")
def softmax_with_mask() -> Any:
    keras = _k.keras()
    layers = keras.layers
    scores = keras.Input((6,), name="scores")
    allowed = keras.Input((6,), dtype="bool", name="allowed")
    outputs = layers.Softmax(name="softmax")(scores, mask=allowed)
    return keras.Model([scores, allowed], outputs, name="softmax_with_mask")


def _transformer_block(keras: Any, x: Any, prefix: str = "") -> Any:
    """Post-norm encoder block: self-attention and a feed-forward net, each added back."""
    layers = keras.layers
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4, name=f"{prefix}self_attention")
    attended = layers.Dropout(0.1, name=f"{prefix}attention_dropout")(attention(x, x))
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{prefix}norm_1")(x + attended)
    ffn = layers.Dense(16, activation="relu", name=f"{prefix}ffn_1")(x)
    ffn = layers.Dense(DIM, name=f"{prefix}ffn_2")(ffn)
    ffn = layers.Dropout(0.1, name=f"{prefix}ffn_dropout")(ffn)
    return layers.LayerNormalization(epsilon=1e-6, name=f"{prefix}norm_2")(
        layers.Add(name=f"{prefix}residual_2")([x, ffn])
    )


@_register(
    "transformer_encoder_block",
    "keras.io/examples/nlp/text_classification_with_transformer (TransformerBlock)",
)
def transformer_encoder_block() -> Any:
    keras = _k.keras()
    inputs = keras.Input((MAXLEN, DIM), name="embedded")
    outputs = _transformer_block(keras, inputs)
    return keras.Model(inputs, outputs, name="transformer_block")


def _token_and_position(keras: Any, tokens: Any) -> Any:
    """Token embeddings plus learned position embeddings, the positions made in the graph."""
    layers = keras.layers
    ops = keras.ops
    positions = ops.cumsum(ops.ones_like(tokens), axis=1) - 1  # 0, 1, 2, … per row
    token_embedding = layers.Embedding(VOCAB, DIM, name="token_embedding")(tokens)
    position_embedding = layers.Embedding(MAXLEN, DIM, name="position_embedding")(positions)
    return layers.Add(name="token_and_position")([token_embedding, position_embedding])


@_register(
    "token_and_position_embedding",
    "keras.io/examples/nlp/text_classification_with_transformer (TokenAndPositionEmbedding, "
    "positions computed from the tokens with keras.ops)",
)
def token_and_position_embedding() -> Any:
    keras = _k.keras()
    tokens = keras.Input((MAXLEN,), dtype="int32", name="tokens")
    return keras.Model(tokens, _token_and_position(keras, tokens), name="token_and_position")


@_register(
    "position_embedding_constant",
    "keras.io/examples/nlp/text_classification_with_transformer (TokenAndPositionEmbedding "
    "inlined: x + pos_emb(ops.arange(maxlen)), which Keras computes eagerly to a constant)",
)
def position_embedding_constant() -> Any:
    keras = _k.keras()
    layers = keras.layers
    tokens = keras.Input((MAXLEN,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, DIM, name="token_embedding")(tokens)
    positions = layers.Embedding(MAXLEN, DIM, name="position_embedding")(
        keras.ops.arange(0, MAXLEN)
    )
    return keras.Model(tokens, x + positions, name="token_and_position")


def _token_and_position_ids(keras: Any, tokens: Any, positions: Any) -> Any:
    """Token embeddings plus learned position embeddings, the positions given as an input."""
    layers = keras.layers
    token_embedding = layers.Embedding(VOCAB, DIM, name="token_embedding")(tokens)
    position_embedding = layers.Embedding(VOCAB, DIM, name="position_embedding")(positions)
    return layers.Add(name="token_and_position")([token_embedding, position_embedding])


@_register(
    "transformer_text_classifier",
    "keras.io/examples/nlp/text_classification_with_transformer (positions given as a "
    "second input of position ids, as BERT implementations do)",
)
def transformer_text_classifier() -> Any:
    keras = _k.keras()
    layers = keras.layers
    tokens = keras.Input((MAXLEN,), dtype="int32", name="tokens")
    positions = keras.Input((MAXLEN,), dtype="int32", name="position_ids")
    x = _transformer_block(keras, _token_and_position_ids(keras, tokens, positions))
    x = layers.GlobalAveragePooling1D(name="average")(x)
    x = layers.Dropout(0.1, name="dropout_1")(x)
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.1, name="dropout_2")(x)
    outputs = layers.Dense(2, activation="softmax", name="classes")(x)
    return keras.Model([tokens, positions], outputs, name="transformer_classifier")


@_register(
    "transformer_padding_mask",
    "keras.io/examples/nlp/neural_machine_translation_with_transformer "
    "(Embedding(mask_zero=True): the padding mask reaches the self-attention)",
)
def transformer_padding_mask() -> Any:
    keras = _k.keras()
    layers = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, DIM, mask_zero=True, name="embedding")(tokens)
    x = _transformer_block(keras, x)
    outputs = layers.GlobalAveragePooling1D(name="average")(x)
    return keras.Model(tokens, outputs, name="transformer_padding_mask")


@_register(
    "gpt_decoder_block",
    "keras.io/examples/generative/text_generation_with_miniature_gpt "
    "(causal self-attention, here as use_causal_mask=True; positions as an input)",
)
def gpt_decoder_block() -> Any:
    keras = _k.keras()
    layers = keras.layers
    tokens = keras.Input((MAXLEN,), dtype="int32", name="tokens")
    positions = keras.Input((MAXLEN,), dtype="int32", name="position_ids")
    x = _token_and_position_ids(keras, tokens, positions)
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="causal_attention")
    attended = attention(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm_1")(x + attended)
    ffn = layers.Dense(DIM, activation="relu", name="ffn")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm_2")(x + ffn)
    outputs = layers.Dense(VOCAB, name="next_token")(x)
    return keras.Model([tokens, positions], outputs, name="mini_gpt")


@_register(
    "timeseries_transformer",
    "keras.io/examples/timeseries/timeseries_classification_transformer",
)
def timeseries_transformer() -> Any:
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((MAXLEN, 2), name="series")
    x = layers.LayerNormalization(epsilon=1e-6, name="norm_1")(inputs)
    x = layers.MultiHeadAttention(key_dim=4, num_heads=2, dropout=0.1, name="attention")(x, x)
    x = layers.Dropout(0.1, name="attention_dropout")(x)
    residual = x + inputs
    x = layers.LayerNormalization(epsilon=1e-6, name="norm_2")(residual)
    x = layers.Conv1D(4, 1, activation="relu", name="ff_conv_1")(x)
    x = layers.Dropout(0.1, name="ff_dropout")(x)
    x = layers.Conv1D(2, 1, name="ff_conv_2")(x)
    x = x + residual
    x = layers.GlobalAveragePooling1D(data_format="channels_first", name="average")(x)
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.1, name="dropout")(x)
    outputs = layers.Dense(2, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="timeseries_transformer")


def main() -> None:
    """Print name / source / outcome / reason for every model: the figures to quote."""
    import time

    from tests.model_exactness import round_trip

    keras = _k.keras()
    counts: dict[str, int] = {}
    start = time.perf_counter()
    for name, (source, builder) in MODELS.items():
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(1234)
        result = round_trip(builder)
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        reason = " ".join(result.reason.split())
        where = f" at {result.stage}" if result.outcome != "exact" else ""
        print(f"{name:30} {result.outcome + where:22} {result.seconds:5.1f}s  {source}")
        if reason:
            print(f"{'':30} {reason[:300]}")
    total = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    print(f"\n{len(MODELS)} models: {total}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
